CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`last_four` text NOT NULL,
	`models` text,
	`monthly_limit` integer,
	`daily_limit` integer,
	`spend_month` integer DEFAULT 0 NOT NULL,
	`month_spent` integer DEFAULT 0 NOT NULL,
	`spend_day` integer DEFAULT 0 NOT NULL,
	`day_spent` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "api_keys_spent_not_negative" CHECK("api_keys"."month_spent" >= 0 and "api_keys"."day_spent" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_secret_hash_unique` ON `api_keys` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_user_id` ON `api_keys` (`user_id`,`id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_usage_daily` (
	`user_id` integer NOT NULL,
	`day` integer NOT NULL,
	`model` text NOT NULL,
	`api_key_id` integer DEFAULT 0 NOT NULL,
	`requests` integer NOT NULL,
	`prompt_tokens` integer NOT NULL,
	`cached_tokens` integer NOT NULL,
	`completion_tokens` integer NOT NULL,
	`credits` integer NOT NULL,
	PRIMARY KEY(`user_id`, `day`, `model`, `api_key_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_usage_daily`("user_id", "day", "model", "api_key_id", "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "credits") SELECT "user_id", "day", "model", 0, "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "credits" FROM `usage_daily`;--> statement-breakpoint
DROP TABLE `usage_daily`;--> statement-breakpoint
ALTER TABLE `__new_usage_daily` RENAME TO `usage_daily`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `usage_daily_day_totals` ON `usage_daily` (`day`,`model`,`requests`,`prompt_tokens`,`cached_tokens`,`completion_tokens`,`credits`);--> statement-breakpoint
ALTER TABLE `chats` ADD `origin` text DEFAULT 'chat' NOT NULL CONSTRAINT "chats_origin_known" CHECK("origin" in ('chat', 'api'));--> statement-breakpoint
ALTER TABLE `chats` ADD `api_key_id` integer REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action;--> statement-breakpoint
ALTER TABLE `users` ADD `monthly_limit` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `admin_monthly_limit` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `spend_month` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `month_spent` integer DEFAULT 0 NOT NULL CONSTRAINT "users_month_spent_not_negative" CHECK("month_spent" >= 0);
