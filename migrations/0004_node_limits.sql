ALTER TABLE "task_nodes" ADD COLUMN "max_steps" integer;--> statement-breakpoint
ALTER TABLE "task_nodes" ADD COLUMN "max_run_minutes" double precision;--> statement-breakpoint
ALTER TABLE "task_nodes" ADD COLUMN "token_budget" integer;