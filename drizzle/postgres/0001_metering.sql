CREATE TABLE "usage_daily" (
	"user_id" integer NOT NULL,
	"day" integer NOT NULL,
	"model" text NOT NULL,
	"requests" bigint NOT NULL,
	"prompt_tokens" bigint NOT NULL,
	"cached_tokens" bigint NOT NULL,
	"completion_tokens" bigint NOT NULL,
	"credits" bigint NOT NULL,
	CONSTRAINT "usage_daily_user_id_day_model_pk" PRIMARY KEY("user_id","day","model")
);
--> statement-breakpoint
ALTER TABLE "chats" DROP CONSTRAINT "chats_cost_positive";--> statement-breakpoint
ALTER TABLE "ledger" DROP CONSTRAINT "ledger_reason_known";--> statement-breakpoint
ALTER TABLE "chats" ADD COLUMN "upstream_model" text;--> statement-breakpoint
ALTER TABLE "chats" ADD COLUMN "cached_tokens" integer;--> statement-breakpoint
ALTER TABLE "chats" ADD COLUMN "usage_source" text;--> statement-breakpoint
ALTER TABLE "chats" ADD COLUMN "hold" bigint;--> statement-breakpoint
UPDATE "chats" SET "hold" = "cost", "upstream_model" = "model", "cached_tokens" = CASE WHEN "prompt_tokens" IS NULL THEN NULL ELSE 0 END, "usage_source" = CASE WHEN "status" IN ('completed', 'incomplete') THEN (CASE WHEN "prompt_tokens" IS NULL THEN 'none' ELSE 'provider' END) END;--> statement-breakpoint
ALTER TABLE "chats" ALTER COLUMN "hold" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_daily_day_totals" ON "usage_daily" USING btree ("day","model","requests","prompt_tokens","cached_tokens","completion_tokens","credits");--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_cost_within_hold" CHECK ("chats"."cost" >= 0 and "chats"."cost" <= "chats"."hold");--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_usage_source_known" CHECK ("chats"."usage_source" in ('provider', 'estimated', 'none'));--> statement-breakpoint
ALTER TABLE "ledger" ADD CONSTRAINT "ledger_reason_known" CHECK ("ledger"."reason" in ('signup', 'chat', 'settle', 'refund', 'grant', 'debit'));--> statement-breakpoint
INSERT INTO "usage_daily" ("user_id", "day", "model", "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "credits") SELECT "user_id", "created_at" / 86400000, coalesce("model", ''), count(*), coalesce(sum("prompt_tokens"), 0), 0, coalesce(sum("completion_tokens"), 0), sum("cost") FROM "chats" WHERE "status" IN ('completed', 'incomplete') GROUP BY 1, 2, 3;
