"""PostgreSQL triggers that keep a published version frozen against any write.

The model and queryset guards (surveys/models.py) cover the ORM; these cover raw SQL,
bulk paths and other clients of the database. They raise SQLSTATE 23514 (check_violation),
which Django surfaces as IntegrityError. Other databases rely on the model guards.
"""

from typing import Any

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION surveys_refuse_frozen_version() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'Version % is published and frozen; fork a new draft to change it.',
            OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION surveys_refuse_frozen_version_id(version bigint) RETURNS void AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM surveys_questionnaireversion
               WHERE id = version AND status = 'published') THEN
        RAISE EXCEPTION 'Version % is published and frozen; fork a new draft to change it.',
            version USING ERRCODE = 'check_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION surveys_refuse_frozen_part() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM surveys_refuse_frozen_version_id(OLD.version_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM surveys_refuse_frozen_version_id(NEW.version_id);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION surveys_refuse_frozen_choice() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM surveys_refuse_frozen_version_id(
            (SELECT version_id FROM surveys_choicelist WHERE id = OLD.choice_list_id));
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM surveys_refuse_frozen_version_id(
            (SELECT version_id FROM surveys_choicelist WHERE id = NEW.choice_list_id));
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER surveys_version_frozen BEFORE UPDATE OR DELETE ON surveys_questionnaireversion
    FOR EACH ROW EXECUTE FUNCTION surveys_refuse_frozen_version();
CREATE TRIGGER surveys_page_frozen BEFORE INSERT OR UPDATE OR DELETE ON surveys_page
    FOR EACH ROW EXECUTE FUNCTION surveys_refuse_frozen_part();
CREATE TRIGGER surveys_question_frozen BEFORE INSERT OR UPDATE OR DELETE ON surveys_question
    FOR EACH ROW EXECUTE FUNCTION surveys_refuse_frozen_part();
CREATE TRIGGER surveys_choicelist_frozen BEFORE INSERT OR UPDATE OR DELETE ON surveys_choicelist
    FOR EACH ROW EXECUTE FUNCTION surveys_refuse_frozen_part();
CREATE TRIGGER surveys_choice_frozen BEFORE INSERT OR UPDATE OR DELETE ON surveys_choice
    FOR EACH ROW EXECUTE FUNCTION surveys_refuse_frozen_choice();
"""

DROP = """
DROP TRIGGER IF EXISTS surveys_version_frozen ON surveys_questionnaireversion;
DROP TRIGGER IF EXISTS surveys_page_frozen ON surveys_page;
DROP TRIGGER IF EXISTS surveys_question_frozen ON surveys_question;
DROP TRIGGER IF EXISTS surveys_choicelist_frozen ON surveys_choicelist;
DROP TRIGGER IF EXISTS surveys_choice_frozen ON surveys_choice;
DROP FUNCTION IF EXISTS surveys_refuse_frozen_choice();
DROP FUNCTION IF EXISTS surveys_refuse_frozen_part();
DROP FUNCTION IF EXISTS surveys_refuse_frozen_version_id(bigint);
DROP FUNCTION IF EXISTS surveys_refuse_frozen_version();
"""


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
