ALTER TABLE "task_runs" ADD COLUMN "isolation" text DEFAULT 'in-place' NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "branch" text;