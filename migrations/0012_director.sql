CREATE TABLE "project_pipelines" (
	"project_id" integer PRIMARY KEY NOT NULL,
	"nodes" jsonb NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"check_timeout_seconds" integer DEFAULT 300 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_dependencies" (
	"task_id" integer NOT NULL,
	"blocked_by_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "task_dependencies_task_id_blocked_by_id_pk" PRIMARY KEY("task_id","blocked_by_id"),
	CONSTRAINT "task_dependency_self_check" CHECK ("task_dependencies"."task_id" <> "task_dependencies"."blocked_by_id")
);
--> statement-breakpoint
CREATE TABLE "task_pipelines" (
	"task_id" integer PRIMARY KEY NOT NULL,
	"nodes" jsonb NOT NULL,
	"max_attempts" integer NOT NULL,
	"stage" integer DEFAULT 0 NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"state" text DEFAULT 'waiting' NOT NULL,
	"run_id" integer,
	"failure" jsonb,
	"reason" text,
	"override_by" text,
	"override_reason" text,
	"overridden_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "gates" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "verdict" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "autopilot" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "project_pipelines" ADD CONSTRAINT "project_pipelines_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_blocked_by_id_tasks_id_fk" FOREIGN KEY ("blocked_by_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_pipelines" ADD CONSTRAINT "task_pipelines_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_pipelines" ADD CONSTRAINT "task_pipelines_run_id_task_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."task_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_dependency_blocker_idx" ON "task_dependencies" USING btree ("blocked_by_id");--> statement-breakpoint
CREATE INDEX "task_pipeline_state_idx" ON "task_pipelines" USING btree ("state");--> statement-breakpoint
CREATE INDEX "task_pipeline_run_idx" ON "task_pipelines" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "task_autopilot_idx" ON "tasks" USING btree ("autopilot") WHERE "tasks"."autopilot";