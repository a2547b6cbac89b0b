CREATE TABLE `usage_daily` (
	`user_id` integer NOT NULL,
	`day` integer NOT NULL,
	`model` text NOT NULL,
	`requests` integer NOT NULL,
	`prompt_tokens` integer NOT NULL,
	`cached_tokens` integer NOT NULL,
	`completion_tokens` integer NOT NULL,
	`credits` integer NOT NULL,
	PRIMARY KEY(`user_id`, `day`, `model`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_daily_day_totals` ON `usage_daily` (`day`,`model`,`requests`,`prompt_tokens`,`cached_tokens`,`completion_tokens`,`credits`);--> statement-breakpoint
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
	`upstream_model` text,
	`prompt_tokens` integer,
	`cached_tokens` integer,
	`completion_tokens` integer,
	`usage_source` text,
	`hold` integer NOT NULL,
	`cost` integer NOT NULL,
	`lease_holder` text,
	`lease_expires_at` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "chats_status_known" CHECK("__new_chats"."status" in ('pending', 'completed', 'incomplete', 'failed')),
	CONSTRAINT "chats_cost_within_hold" CHECK("__new_chats"."cost" >= 0 and "__new_chats"."cost" <= "__new_chats"."hold"),
	CONSTRAINT "chats_usage_source_known" CHECK("__new_chats"."usage_source" in ('provider', 'estimated', 'none'))
);
--> statement-breakpoint
INSERT INTO `__new_chats`("id", "user_id", "conversation_id", "message", "response", "status", "failure_reason", "model", "upstream_model", "prompt_tokens", "cached_tokens", "completion_tokens", "usage_source", "hold", "cost", "lease_holder", "lease_expires_at", "created_at", "updated_at") SELECT "id", "user_id", "conversation_id", "message", "response", "status", "failure_reason", "model", "model", "prompt_tokens", CASE WHEN "prompt_tokens" IS NULL THEN NULL ELSE 0 END, "completion_tokens", CASE WHEN "status" IN ('completed', 'incomplete') THEN (CASE WHEN "prompt_tokens" IS NULL THEN 'none' ELSE 'provider' END) END, "cost", "cost", "lease_holder", "lease_expires_at", "created_at", "updated_at" FROM `chats`;--> statement-breakpoint
DROP TABLE `chats`;--> statement-breakpoint
ALTER TABLE `__new_chats` RENAME TO `chats`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `chats_user_id` ON `chats` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `chats_conversation_id` ON `chats` (`conversation_id`,`id`);--> statement-breakpoint
CREATE INDEX `chats_pending_lease` ON `chats` (`lease_expires_at`) WHERE "chats"."status" = 'pending';--> statement-breakpoint
CREATE TABLE `__new_ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`delta` integer NOT NULL,
	`reason` text NOT NULL,
	`chat_id` integer,
	`actor_id` integer,
	`note` text,
	`balance_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_reason_known" CHECK("__new_ledger"."reason" in ('signup', 'chat', 'settle', 'refund', 'grant', 'debit')),
	CONSTRAINT "ledger_balance_after_not_negative" CHECK("__new_ledger"."balance_after" >= 0)
);
--> statement-breakpoint
INSERT INTO `__new_ledger`("id", "user_id", "delta", "reason", "chat_id", "actor_id", "note", "balance_after", "created_at") SELECT "id", "user_id", "delta", "reason", "chat_id", "actor_id", "note", "balance_after", "created_at" FROM `ledger`;--> statement-breakpoint
DROP TABLE `ledger`;--> statement-breakpoint
ALTER TABLE `__new_ledger` RENAME TO `ledger`;--> statement-breakpoint
CREATE INDEX `ledger_user_id` ON `ledger` (`user_id`,`id`);--> statement-breakpoint
INSERT INTO `usage_daily` ("user_id", "day", "model", "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "credits") SELECT "user_id", "created_at" / 86400000, coalesce("model", ''), count(*), coalesce(sum("prompt_tokens"), 0), 0, coalesce(sum("completion_tokens"), 0), sum("cost") FROM `chats` WHERE "status" IN ('completed', 'incomplete') GROUP BY 1, 2, 3;
