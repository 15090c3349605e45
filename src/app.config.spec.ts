import { readAppConfig } from './app.config.js';

describe('readAppConfig: dashboard credentials', () => {
  it('has none by default: the dashboard is then served on loopback only', () => {
    expect(readAppConfig({}).dashboardAuth).toBeUndefined();
  });

  it('reads DASHBOARD_USER and DASHBOARD_PASSWORD together', () => {
    const config = readAppConfig({ DASHBOARD_USER: 'admin', DASHBOARD_PASSWORD: 'hunter2' });
    expect(config.dashboardAuth).toEqual({ username: 'admin', password: 'hunter2' });
  });

  it('refuses one without the other, rather than leaving the dashboard open', () => {
    expect(() => readAppConfig({ DASHBOARD_USER: 'admin' })).toThrow(
      'Set both DASHBOARD_USER and DASHBOARD_PASSWORD, or neither',
    );
  });
});
