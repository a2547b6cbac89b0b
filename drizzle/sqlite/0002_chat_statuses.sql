PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_chats` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`conversation_id` integer,
	`message` text NOT NULL,
	`response` text,
	`status` text NOT NULL,
	`failure_reason` text,
	`model` text,
	`prompt_tokens` integer,
	`completion_tokens` integer,
	`cost` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "chats_status_known" CHECK("__new_chats"."status" in ('pending', 'completed', 'incomplete', 'failed')),
	CONSTRAINT "chats_cost_positive" CHECK("__new_chats"."cost" > 0)
);
--> statement-breakpoint
INSERT INTO `__new_chats`("id", "user_id", "conversation_id", "message", "response", "status", "failure_reason", "model", "prompt_tokens", "completion_tokens", "cost", "created_at", "updated_at") SELECT "id", "user_id", "conversation_id", "message", "response", "status", "failure_reason", "model", "prompt_tokens", "completion_tokens", "cost", "created_at", "updated_at" FROM `chats`;--> statement-breakpoint
DROP TABLE `chats`;--> statement-breakpoint
ALTER TABLE `__new_chats` RENAME TO `chats`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `chats_user_id` ON `chats` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `chats_conversation_id` ON `chats` (`conversation_id`,`id`);--> statement-breakpoint
CREATE INDEX `chats_pending` ON `chats` (`status`,`created_at`) WHERE "chats"."status" = 'pending';