-- Three users for the demo (`POST /users/1/status`), so a fresh database has rows to update.
INSERT INTO "users" ("email") VALUES ('user1@example.com'), ('user2@example.com'), ('user3@example.com')
ON CONFLICT ("email") DO NOTHING;
