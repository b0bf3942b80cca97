CREATE TABLE "webhook_deliveries" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"webhook_id" integer NOT NULL,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now(),
	"lease_until" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"response_excerpt" text,
	"duration_ms" integer,
	"redelivery_of" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "webhook_delivery_status_check" CHECK ("webhook_deliveries"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhooks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"project_id" integer NOT NULL,
	"url" text NOT NULL,
	"events" jsonb NOT NULL,
	"sealed_secret" text NOT NULL,
	"secret_hint" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_redelivery_of_webhook_deliveries_id_fk" FOREIGN KEY ("redelivery_of") REFERENCES "public"."webhook_deliveries"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_delivery_webhook_idx" ON "webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "webhook_delivery_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_project_idx" ON "webhooks" USING btree ("project_id");--> statement-breakpoint
-- Written by hand below this line (drizzle-kit knows no triggers): the deliveries of run.finished and
-- task.status_changed are recorded in the transaction that makes the change (see src/webhooks/webhook-events.ts).
CREATE FUNCTION "wfhub_webhook_time"("value" timestamp with time zone) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char("value" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
--> statement-breakpoint
CREATE FUNCTION "wfhub_webhook_task_status"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "webhook_deliveries" ("webhook_id", "event", "payload")
  SELECT "w"."id", 'task.status_changed', jsonb_build_object(
    'task', jsonb_build_object(
      'id', NEW."id",
      'project_id', NEW."project_id",
      'parent_id', NEW."parent_id",
      'title', NEW."title",
      'status', NEW."status",
      'priority', NEW."priority",
      'node', (SELECT "n"."name" FROM "task_nodes" "n" WHERE "n"."id" = NEW."node_id"),
      'autopilot', NEW."autopilot",
      'updated_at', "wfhub_webhook_time"(NEW."updated_at")),
    'old_status', OLD."status",
    'new_status', NEW."status")
  FROM "webhooks" "w"
  WHERE "w"."project_id" = NEW."project_id" AND "w"."active" AND "w"."events" ? 'task.status_changed';
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_task_status" AFTER UPDATE OF "status" ON "tasks"
  FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status")
  EXECUTE FUNCTION "wfhub_webhook_task_status"();
--> statement-breakpoint
CREATE FUNCTION "wfhub_webhook_run_finished"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "owner" record;
BEGIN
  SELECT "t"."id", "t"."project_id", "t"."title" INTO "owner" FROM "tasks" "t" WHERE "t"."id" = NEW."task_id";
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO "webhook_deliveries" ("webhook_id", "event", "payload")
  SELECT "w"."id", 'run.finished', jsonb_build_object(
    'run', jsonb_build_object(
      'id', NEW."id",
      'task_id', NEW."task_id",
      'status', NEW."status",
      'node', (SELECT "n"."name" FROM "task_nodes" "n" WHERE "n"."id" = NEW."node_id"),
      'model', NEW."model",
      'provider', NEW."provider",
      'attempt', NEW."attempt",
      'retry_of', NEW."retry_of",
      'steps', NEW."steps",
      'prompt_tokens', NEW."prompt_tokens",
      'completion_tokens', NEW."completion_tokens",
      'error', CASE WHEN NEW."error_code" IS NULL THEN NULL
        ELSE jsonb_build_object('code', NEW."error_code", 'message', left(coalesce(NEW."error_message", ''), 4000)) END,
      'summary', left(NEW."summary", 10000),
      'files_changed', (SELECT coalesce(jsonb_agg("f"."value"), '[]'::jsonb)
        FROM (SELECT "value" FROM jsonb_array_elements(NEW."files_changed") LIMIT 200) "f"),
      'files_changed_count', jsonb_array_length(NEW."files_changed"),
      'verdict', NEW."verdict",
      'branch', NEW."branch",
      'started_at', "wfhub_webhook_time"(NEW."started_at"),
      'finished_at', "wfhub_webhook_time"(NEW."finished_at"),
      'created_at', "wfhub_webhook_time"(NEW."created_at")),
    'task', jsonb_build_object('id', "owner"."id", 'project_id', "owner"."project_id", 'title', "owner"."title"))
  FROM "webhooks" "w"
  WHERE "w"."project_id" = "owner"."project_id" AND "w"."active" AND "w"."events" ? 'run.finished';
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_run_finished" AFTER UPDATE OF "status" ON "task_runs"
  FOR EACH ROW WHEN (OLD."status" IN ('queued', 'running') AND NEW."status" IN ('succeeded', 'failed', 'cancelled', 'interrupted'))
  EXECUTE FUNCTION "wfhub_webhook_run_finished"();
