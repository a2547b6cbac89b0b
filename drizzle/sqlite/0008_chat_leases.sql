DROP INDEX `chats_pending`;--> statement-breakpoint
ALTER TABLE `chats` ADD `lease_holder` text;--> statement-breakpoint
ALTER TABLE `chats` ADD `lease_expires_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `chats_pending_lease` ON `chats` (`lease_expires_at`) WHERE "chats"."status" = 'pending';