CREATE TABLE `conversations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`title` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `conversations_user_activity` ON `conversations` (`user_id`,`updated_at`,`id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`delta` integer NOT NULL,
	`reason` text NOT NULL,
	`chat_id` integer,
	`balance_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "ledger_reason_known" CHECK("__new_ledger"."reason" in ('signup', 'chat', 'refund')),
	CONSTRAINT "ledger_balance_after_not_negative" CHECK("__new_ledger"."balance_after" >= 0)
);
--> statement-breakpoint
INSERT INTO `__new_ledger`("id", "user_id", "delta", "reason", "chat_id", "balance_after", "created_at") SELECT "id", "user_id", "delta", "reason", "chat_id", "balance_after", "created_at" FROM `ledger`;--> statement-breakpoint
DROP TABLE `ledger`;--> statement-breakpoint
ALTER TABLE `__new_ledger` RENAME TO `ledger`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `ledger_user_id` ON `ledger` (`user_id`,`id`);--> statement-breakpoint
ALTER TABLE `chats` ADD `conversation_id` integer REFERENCES conversations(id);--> statement-breakpoint
ALTER TABLE `chats` ADD `model` text;--> statement-breakpoint
ALTER TABLE `chats` ADD `prompt_tokens` integer;--> statement-breakpoint
ALTER TABLE `chats` ADD `completion_tokens` integer;