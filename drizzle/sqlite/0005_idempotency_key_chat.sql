ALTER TABLE `idempotency_keys` ADD `chat_id` integer;--> statement-breakpoint
CREATE INDEX `idempotency_keys_chat_id` ON `idempotency_keys` (`chat_id`) WHERE "idempotency_keys"."chat_id" is not null;