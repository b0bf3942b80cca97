CREATE TABLE "run_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "run_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "executor" text DEFAULT 'builtin' NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "provider" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "message" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "prompt" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "steps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "prompt_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "completion_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "error_code" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "error_message" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "summary" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "files_changed" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "git_head_before" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "git_head_after" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "diff" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "worker" text;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_run_id_task_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."task_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "run_event_run_seq_idx" ON "run_events" USING btree ("run_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "task_run_active_idx" ON "task_runs" USING btree ("task_id") WHERE status in ('queued', 'running');