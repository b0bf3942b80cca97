CREATE TABLE "tracker_comment_links" (
	"link_id" integer NOT NULL,
	"external_id" text NOT NULL,
	"comment_id" integer NOT NULL,
	"pushed" boolean DEFAULT false NOT NULL,
	CONSTRAINT "tracker_comment_links_link_id_external_id_pk" PRIMARY KEY("link_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "tracker_credentials" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tracker_credentials_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"provider" text NOT NULL,
	"name" text NOT NULL,
	"account" text NOT NULL,
	"base_url" text,
	"email" text,
	"sealed_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tracker_credential_provider_check" CHECK ("tracker_credentials"."provider" in ('asana', 'jira', 'linear', 'github'))
);
--> statement-breakpoint
CREATE TABLE "tracker_links" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tracker_links_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"mapping_id" integer NOT NULL,
	"task_id" integer NOT NULL,
	"external_id" text NOT NULL,
	"url" text NOT NULL,
	"imported" jsonb NOT NULL,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"remote_status" text NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	"synced_at" timestamp with time zone,
	"sync_error" text,
	"sync_attempts" integer DEFAULT 0 NOT NULL,
	"sync_after" timestamp with time zone,
	"sync_lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tracker_mappings" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tracker_mappings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"credential_id" integer NOT NULL,
	"external_project_id" text NOT NULL,
	"external_project_name" text NOT NULL,
	"project_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tracker_comment_links" ADD CONSTRAINT "tracker_comment_links_link_id_tracker_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."tracker_links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_comment_links" ADD CONSTRAINT "tracker_comment_links_comment_id_task_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."task_comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_links" ADD CONSTRAINT "tracker_links_mapping_id_tracker_mappings_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "public"."tracker_mappings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_links" ADD CONSTRAINT "tracker_links_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_mappings" ADD CONSTRAINT "tracker_mappings_credential_id_tracker_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."tracker_credentials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_mappings" ADD CONSTRAINT "tracker_mappings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "tracker_comment_link_comment_idx" ON "tracker_comment_links" USING btree ("comment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tracker_link_external_idx" ON "tracker_links" USING btree ("mapping_id","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tracker_link_task_idx" ON "tracker_links" USING btree ("task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tracker_mapping_unique_idx" ON "tracker_mappings" USING btree ("credential_id","external_project_id","project_id");--> statement-breakpoint
CREATE INDEX "tracker_mapping_project_idx" ON "tracker_mappings" USING btree ("project_id");