CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"last_four" text NOT NULL,
	"models" text,
	"monthly_limit" bigint,
	"daily_limit" bigint,
	"spend_month" integer DEFAULT 0 NOT NULL,
	"month_spent" bigint DEFAULT 0 NOT NULL,
	"spend_day" integer DEFAULT 0 NOT NULL,
	"day_spent" bigint DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	"last_used_at" bigint,
	"expires_at" bigint,
	"revoked_at" bigint,
	CONSTRAINT "api_keys_secret_hash_unique" UNIQUE("secret_hash"),
	CONSTRAINT "api_keys_spent_not_negative" CHECK ("api_keys"."month_spent" >= 0 and "api_keys"."day_spent" >= 0)
);
--> statement-breakpoint
ALTER TABLE "usage_daily" ADD COLUMN "api_key_id" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_daily" DROP CONSTRAINT "usage_daily_user_id_day_model_pk";--> statement-breakpoint
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_user_id_day_model_api_key_id_pk" PRIMARY KEY("user_id","day","model","api_key_id");--> statement-breakpoint
ALTER TABLE "chats" ADD COLUMN "origin" text DEFAULT 'chat' NOT NULL;--> statement-breakpoint
ALTER TABLE "chats" ADD COLUMN "api_key_id" integer;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "monthly_limit" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "admin_monthly_limit" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "spend_month" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "month_spent" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_user_id" ON "api_keys" USING btree ("user_id","id");--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_origin_known" CHECK ("chats"."origin" in ('chat', 'api'));--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_month_spent_not_negative" CHECK ("users"."month_spent" >= 0);