/*-------------------------------------------------------------------------
 *
 * changes.c
 *	  What a DDL statement is about to do, as the guard's rules see it: the
 *	  raw parse tree of one utility statement becomes a list of changes
 *	  (GuardChange), each naming the table it touches, the lock it takes
 *	  there, and the subcommand.  A multi-command ALTER TABLE gives one
 *	  change per subcommand, so each is judged.
 *
 * Names are looked up without locks, as the server's own lookup does
 * before it locks; a name that does not resolve gives no change (the
 * command will fail on its own), nor does a statement its caller may not
 * run (visibility.c: PostgreSQL's own permission error follows, unjudged).
 * An object named twice is one change.  Tables a statement reaches without
 * naming them, in schemas the caller may not use, are counted, not judged.
 * In a check_ddl() dry run, names mean what the earlier statements of the
 * script left them meaning: a table one creates is new and empty, one
 * renamed or moved is found under its new name, one dropped is gone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "commands/tablespace.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/regproc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "guard/guard.h"

/* Is this a statement any rule looks at?  Cheap: a tag test. */
bool
guard_statement_relevant(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
		case T_IndexStmt:
		case T_ReindexStmt:
		case T_DropStmt:
		case T_TruncateStmt:
		case T_RenameStmt:
		case T_AlterObjectSchemaStmt:
		case T_VacuumStmt:
		case T_ClusterStmt:
		case T_AlterDomainStmt:
			return true;
		case T_CreateStmt:		/* a partition: its parent's default is read */
			return ((CreateStmt *) parsetree)->partbound != NULL;
		case T_CreatePolicyStmt:	/* ACCESS EXCLUSIVE on a table, for lock-timeout */
		case T_AlterPolicyStmt:
		case T_RuleStmt:
		case T_RefreshMatViewStmt:
			return true;
		default:
			return false;
	}
}

static GuardChange *
add_change(GuardStatement *st, GuardChangeKind kind, const char *command,
		   GuardRelation *rel, LOCKMODE lockmode, Node *node)
{
	GuardChange *change = palloc0(sizeof(GuardChange));

	change->kind = kind;
	change->command = command;
	change->rel = rel;
	change->lockmode = lockmode;
	change->node = node;
	st->changes = lappend(st->changes, change);
	return change;
}

/* The schema a CREATE of this name would use, or NULL. */
static char *
creation_schema(const RangeVar *rv)
{
	if (rv->schemaname)
		return pstrdup(rv->schemaname);
	if (rv->relpersistence == RELPERSISTENCE_TEMP)
		return pstrdup("pg_temp");
	return get_namespace_name(RangeVarGetCreationNamespace(rv));
}

/* The name the script gave this schema and table, if it touched it. */
static GuardScriptName *
script_name(GuardStatement *st, const char *nspname, const char *relname)
{
	ListCell   *lc;

	foreach(lc, st->names)
	{
		GuardScriptName *n = lfirst(lc);

		if (strcmp(n->relname, relname) == 0 && strcmp(n->nspname, nspname) == 0)
			return n;
	}
	return NULL;
}

/*
 * script_relid
 *		The table a RangeVar names as the statement will see it: in a
 *		check_ddl() dry run, after what the earlier statements of the script
 *		created, renamed, moved or dropped (an unqualified name is looked up
 *		schema by schema along the search_path, the script's names before
 *		the catalog's in each, as the server would after running them).
 *		InvalidOid if it names nothing; *is_new if the script created it.
 */
static Oid
script_relid(GuardStatement *st, const RangeVar *rv, bool *is_new,
			 GuardScriptName **renamed)
{
	GuardScriptName *n = NULL;

	*is_new = false;
	if (renamed)
		*renamed = NULL;
	if (!st->dry_run || st->names == NIL)
		return RangeVarGetRelid(rv, NoLock, true);
	if (rv->schemaname)
		n = script_name(st, rv->schemaname, rv->relname);
	else
	{
		ListCell   *lc;

		/* a temporary table the script created comes first, as pg_temp does */
		n = script_name(st, "pg_temp", rv->relname);
		foreach(lc, n ? NIL : fetch_search_path(true))
		{
			Oid			nspid = lfirst_oid(lc);
			char	   *nspname = get_namespace_name(nspid);
			Oid			relid;

			if (nspname && (n = script_name(st, isTempNamespace(nspid) ? "pg_temp" : nspname,
											rv->relname)) != NULL)
				break;
			if (OidIsValid(relid = get_relname_relid(rv->relname, nspid)))
				return relid;
		}
	}
	if (n == NULL)
		return RangeVarGetRelid(rv, NoLock, true);
	*is_new = (n->kind == SCRIPT_NAME_NEW);
	if (renamed && n->kind == SCRIPT_NAME_EXISTING)
		*renamed = n;
	return n->kind == SCRIPT_NAME_EXISTING ? n->relid : InvalidOid;
}

/*
 * table_of
 *		The evidence for the table a RangeVar names; NULL if it does not
 *		resolve, or if the script being checked created it (new and empty:
 *		no rule fires on it).  A table the script renamed or moved goes by
 *		its new name in messages and hints.
 */
static GuardRelation *
table_of(GuardStatement *st, RangeVar *rv, bool recurse)
{
	bool		is_new;
	GuardScriptName *renamed;
	Oid			relid = script_relid(st, rv, &is_new, &renamed);
	GuardRelation *rel;

	if (!OidIsValid(relid))
		return NULL;
	if (!guard_may_run_on(st, RelationRelationId, relid))
	{
		st->denied = true;		/* PostgreSQL refuses it: not judged */
		return NULL;
	}
	rel = guard_relation(st, relid, recurse);
	if (rel && renamed)
	{
		rel->nspname = renamed->nspname;
		rel->relname = renamed->relname;
		rel->sql_name = quote_qualified_identifier(renamed->nspname, renamed->relname);
	}
	return rel;
}

/* The relation id of the table a RangeVar names, as table_of() finds it. */
static Oid
table_oid(GuardStatement *st, RangeVar *rv)
{
	bool		is_new;

	return script_relid(st, rv, &is_new, NULL);
}

/*
 * permitted_table
 *		The table rv names, as table_oid() finds it, if the caller may run
 *		the statement on it; InvalidOid otherwise (and st->denied).
 */
static Oid
permitted_table(GuardStatement *st, RangeVar *rv)
{
	Oid			relid = table_oid(st, rv);

	if (OidIsValid(relid) && !guard_may_run_on(st, RelationRelationId, relid))
	{
		st->denied = true;
		return InvalidOid;
	}
	return relid;
}

static bool
is_table_kind(char relkind)
{
	return relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
		relkind == RELKIND_MATVIEW;
}

/*
 * exclusive_lock_change
 *		A statement whose only effect the rules look at is the ACCESS
 *		EXCLUSIVE lock it takes on a table (CREATE, ALTER or DROP POLICY,
 *		CREATE or DROP RULE, DROP TRIGGER, REFRESH MATERIALIZED VIEW without
 *		CONCURRENTLY): lock-timeout judges it.  (LOCK TABLE, which
 *		applications run, is not DDL and is left alone.)
 */
static void
exclusive_lock_change(GuardStatement *st, const char *command, RangeVar *rv,
					  Node *stmt)
{
	GuardRelation *rel = table_of(st, rv, false);

	if (rel && is_table_kind(rel->relkind))
		add_change(st, CHANGE_OTHER, command, rel, AccessExclusiveLock, stmt);
}

static void
alter_table_changes(GuardStatement *st, AlterTableStmt *stmt)
{
	GuardRelation *rel;
	LOCKMODE	lockmode;
	ListCell   *lc;
	HeapTuple	tuple;
	Form_pg_class form;

	if (stmt->objtype != OBJECT_TABLE && stmt->objtype != OBJECT_MATVIEW)
		return;
	rel = table_of(st, stmt->relation, stmt->relation->inh);
	if (rel == NULL || !is_table_kind(rel->relkind))
		return;
	lockmode = AlterTableGetLockLevel(stmt->cmds);
	add_change(st, CHANGE_OTHER, "ALTER TABLE", rel, lockmode, (Node *) stmt);

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(rel->relid));
	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_class) GETSTRUCT(tuple);

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst(lc);
		GuardChange *change = NULL;

		switch (cmd->subtype)
		{
			case AT_AddColumn:
				change = add_change(st, CHANGE_ADD_COLUMN, "ALTER TABLE", rel,
									lockmode, (Node *) cmd);
				change->colname = ((ColumnDef *) cmd->def)->colname;
				break;
			case AT_AlterColumnType:
				change = add_change(st, CHANGE_ALTER_TYPE, "ALTER TABLE", rel,
									lockmode, (Node *) cmd);
				break;
			case AT_DropColumn:
				change = add_change(st, CHANGE_DROP_COLUMN, "ALTER TABLE", rel,
									lockmode, (Node *) cmd);
				change->cascade = (cmd->behavior == DROP_CASCADE);
				break;
			case AT_SetNotNull:
				change = add_change(st, CHANGE_SET_NOT_NULL, "ALTER TABLE", rel,
									lockmode, (Node *) cmd);
				break;
			case AT_AddConstraint:
				change = add_change(st, CHANGE_ADD_CONSTRAINT, "ALTER TABLE", rel,
									lockmode, (Node *) cmd);
				break;
			case AT_SetLogged:
				if (form->relpersistence != RELPERSISTENCE_PERMANENT)
					change = add_change(st, CHANGE_SET_PERSISTENCE, "ALTER TABLE",
										rel, lockmode, (Node *) cmd);
				break;
			case AT_SetUnLogged:
				if (form->relpersistence != RELPERSISTENCE_UNLOGGED)
					change = add_change(st, CHANGE_SET_PERSISTENCE, "ALTER TABLE",
										rel, lockmode, (Node *) cmd);
				break;
			case AT_SetAccessMethod:
				if (form->relkind == RELKIND_RELATION &&
					get_table_am_oid(cmd->name, true) != form->relam)
					change = add_change(st, CHANGE_SET_ACCESS_METHOD, "ALTER TABLE",
										rel, lockmode, (Node *) cmd);
				break;
			case AT_AttachPartition:
				{
					PartitionCmd *partcmd = castNode(PartitionCmd, cmd->def);
					GuardRelation *part;
					bool		is_new;

					if (form->relkind != RELKIND_PARTITIONED_TABLE)
						break;
					/* a table the script created: only the default partition is read */
					part = table_of(st, partcmd->name, true);
					if (part == NULL &&
						!(OidIsValid(script_relid(st, partcmd->name, &is_new, NULL)) || is_new))
						break;
					if (part && !is_table_kind(part->relkind))
						break;
					/* the table attached is locked ACCESS EXCLUSIVE, the parent less */
					change = add_change(st, CHANGE_ATTACH_PARTITION, "ALTER TABLE", part,
										AccessExclusiveLock, (Node *) cmd);
					change->object.classId = RelationRelationId;
					change->object.objectId = rel->relid;
					change->object_name = rel->sql_name;
					break;
				}
			case AT_SetTableSpace:
				{
					Oid			spc = get_tablespace_oid(cmd->name, true);

					if (spc == MyDatabaseTableSpace)
						spc = InvalidOid;
					if (spc != form->reltablespace)
						change = add_change(st, CHANGE_SET_TABLESPACE, "ALTER TABLE",
											rel, lockmode, (Node *) cmd);
					break;
				}
			default:
				break;
		}
		if (change && cmd->name && change->colname == NULL)
		{
			change->colname = cmd->name;
			change->attnum = get_attnum(rel->relid, cmd->name);
		}
	}
	ReleaseSysCache(tuple);
}

/* The table an index belongs to. */
static GuardRelation *
index_table(GuardStatement *st, Oid indexid)
{
	Oid			relid = IndexGetRelation(indexid, true);

	if (!OidIsValid(relid))
		return NULL;
	if (!guard_may_run_on(st, RelationRelationId, indexid))
	{
		st->denied = true;
		return NULL;
	}
	return guard_relation(st, relid, true);
}

/*
 * usable_tables
 *		Of tables a statement reaches without naming them, those in schemas
 *		the caller may use; the others are counted in st->withheld
 *		(visibility.c).
 */
static List *
usable_tables(GuardStatement *st, List *tables)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, tables)
	{
		if (guard_schema_usable(get_rel_namespace(lfirst_oid(lc))))
			result = lappend_oid(result, lfirst_oid(lc));
		else
			st->withheld++;
	}
	return result;
}

static bool
option_true(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst(lc);

		if (strcmp(opt->defname, name) == 0)
			return defGetBoolean(opt);
	}
	return false;
}

/*
 * schema_tables
 *		The tables and materialized views of a schema (nspid valid) or of
 *		the whole database, top-level ones only (partitions are counted with
 *		their parent).  indexed_only: those with indexes.
 */
static List *
schema_tables(Oid nspid, bool indexed_only)
{
	Relation	pg_class = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *result = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (!is_table_kind(form->relkind) || form->relispartition)
			continue;
		if (OidIsValid(nspid) ? form->relnamespace != nspid
			: IsCatalogNamespace(form->relnamespace) ||
			form->relnamespace == PG_TOAST_NAMESPACE ||
			isAnyTempNamespace(form->relnamespace))
			continue;
		if (indexed_only && !form->relhasindex)
			continue;
		result = lappend_oid(result, form->oid);
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);
	return result;
}

static void
reindex_changes(GuardStatement *st, ReindexStmt *stmt)
{
	List	   *tables = NIL;
	ListCell   *lc;

	if (option_true(stmt->params, "concurrently"))
		return;
	switch (stmt->kind)
	{
		case REINDEX_OBJECT_INDEX:
			{
				Oid			indexid = RangeVarGetRelid(stmt->relation, NoLock, true);
				GuardRelation *rel = OidIsValid(indexid) ? index_table(st, indexid) : NULL;
				GuardChange *change;

				if (rel == NULL)
					return;
				change = add_change(st, CHANGE_REINDEX, "REINDEX", rel, ShareLock,
									(Node *) stmt);
				change->object.classId = RelationRelationId;
				change->object.objectId = indexid;
				change->object_name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(indexid)),
																 get_rel_name(indexid));
				return;
			}
		case REINDEX_OBJECT_TABLE:
			{
				Oid			relid = permitted_table(st, stmt->relation);

				if (!OidIsValid(relid))
					return;
				tables = list_make1_oid(relid);
				break;
			}
		case REINDEX_OBJECT_SCHEMA:
			{
				Oid			nspid = get_namespace_oid(stmt->name, true);

				if (!OidIsValid(nspid))
					return;
				if (!guard_may_run_on(st, NamespaceRelationId, nspid))
				{
					st->denied = true;
					return;
				}
				tables = usable_tables(st, schema_tables(nspid, true));
				break;
			}
		default:				/* DATABASE, SYSTEM */
			if (!guard_may_run_on(st, DatabaseRelationId, MyDatabaseId))
			{
				st->denied = true;
				return;
			}
			tables = usable_tables(st, schema_tables(InvalidOid, true));
			break;
	}
	foreach(lc, tables)
	{
		GuardRelation *rel = guard_relation(st, lfirst_oid(lc), true);

		if (rel)
			add_change(st, CHANGE_REINDEX, "REINDEX", rel, ShareLock, (Node *) stmt);
	}
}

/* A change to the function a DROP, RENAME or SET SCHEMA names, if it exists. */
static GuardChange *
function_change(GuardStatement *st, GuardChangeKind kind, const char *command,
				ObjectType objtype, Node *object, Node *stmt)
{
	Oid			funcid = LookupFuncWithArgs(objtype, castNode(ObjectWithArgs, object), true);
	GuardChange *change;
	ListCell   *lc;

	if (!OidIsValid(funcid))
		return NULL;
	if (!guard_may_run_on(st, ProcedureRelationId, funcid))
	{
		st->denied = true;
		return NULL;
	}
	foreach(lc, st->changes)
	{
		change = lfirst(lc);
		if (change->kind == kind && change->object.objectId == funcid)
			return NULL;		/* named twice: judged once */
	}
	change = add_change(st, kind, command, NULL, AccessExclusiveLock, stmt);
	change->object.classId = ProcedureRelationId;
	change->object.objectId = funcid;
	change->object_name = format_procedure_qualified(funcid);
	return change;
}

/*
 * drop_changes
 *		A DROP of tables, views, indexes, functions or schemas: one change
 *		per object, each object once however often the statement names it
 *		(PostgreSQL drops it once).
 */
static void
drop_changes(GuardStatement *st, DropStmt *stmt)
{
	ListCell   *lc;
	List	   *seen = NIL;		/* relations and schemas named so far */

	foreach(lc, stmt->objects)
	{
		Node	   *object = lfirst(lc);

		switch (stmt->removeType)
		{
			case OBJECT_INDEX:
				{
					RangeVar   *rv = makeRangeVarFromNameList(castNode(List, object));
					Oid			indexid = RangeVarGetRelid(rv, NoLock, true);
					GuardRelation *rel;
					GuardChange *change;

					if (stmt->concurrent || !OidIsValid(indexid) ||
						list_member_oid(seen, indexid) ||
						get_rel_relkind(indexid) != RELKIND_INDEX ||
						(rel = index_table(st, indexid)) == NULL)
						break;
					seen = lappend_oid(seen, indexid);
					change = add_change(st, CHANGE_DROP_INDEX, "DROP INDEX", rel,
										AccessExclusiveLock, (Node *) stmt);
					change->object.classId = RelationRelationId;
					change->object.objectId = indexid;
					change->object_name =
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(indexid)),
												   get_rel_name(indexid));
					break;
				}
			case OBJECT_TABLE:
			case OBJECT_VIEW:
			case OBJECT_MATVIEW:
				{
					RangeVar   *rv = makeRangeVarFromNameList(castNode(List, object));
					Oid			relid = table_oid(st, rv);
					GuardRelation *rel;

					if (!OidIsValid(relid) || list_member_oid(seen, relid))
						break;
					seen = lappend_oid(seen, relid);
					rel = table_of(st, rv, stmt->behavior == DROP_CASCADE);
					if (rel)
					{
						GuardChange *change = add_change(st, CHANGE_DROP_RELATION,
														 stmt->removeType == OBJECT_TABLE ? "DROP TABLE"
														 : stmt->removeType == OBJECT_VIEW ? "DROP VIEW"
														 : "DROP MATERIALIZED VIEW", rel,
														 AccessExclusiveLock,
														 (Node *) stmt);

						change->cascade = (stmt->behavior == DROP_CASCADE);
					}
					break;
				}
			case OBJECT_SCHEMA:
				{
					Oid			nspid = get_namespace_oid(strVal(object), true);
					ListCell   *lt;

					if (!OidIsValid(nspid) || list_member_oid(seen, nspid))
						break;
					seen = lappend_oid(seen, nspid);
					if (!guard_may_run_on(st, NamespaceRelationId, nspid))
					{
						st->denied = true;
						break;
					}
					if (stmt->behavior != DROP_CASCADE)
						break;
					foreach(lt, usable_tables(st, schema_tables(nspid, false)))
					{
						GuardRelation *rel = guard_relation(st, lfirst_oid(lt), true);
						GuardChange *change;

						if (rel == NULL)
							continue;
						change = add_change(st, CHANGE_DROP_RELATION, "DROP SCHEMA",
											rel, AccessExclusiveLock, (Node *) stmt);
						change->cascade = true;
						change->object.classId = NamespaceRelationId;
						change->object.objectId = nspid;
						change->object_name = quote_identifier(strVal(object));
					}
					break;
				}
			case OBJECT_TRIGGER:
			case OBJECT_POLICY:
			case OBJECT_RULE:
				{
					/* the object's name list is the table's, then its own name */
					List	   *names = castNode(List, object);

					if (list_length(names) < 2)
						break;
					exclusive_lock_change(st, stmt->removeType == OBJECT_TRIGGER ? "DROP TRIGGER"
										  : stmt->removeType == OBJECT_POLICY ? "DROP POLICY"
										  : "DROP RULE",
										  makeRangeVarFromNameList(list_truncate(list_copy(names),
																				 list_length(names) - 1)),
										  (Node *) stmt);
					break;
				}
			case OBJECT_FUNCTION:
			case OBJECT_PROCEDURE:
			case OBJECT_ROUTINE:
				{
					GuardChange *change = function_change(st, CHANGE_DROP_FUNCTION,
														  "DROP FUNCTION", stmt->removeType,
														  object, (Node *) stmt);

					if (change)
						change->cascade = (stmt->behavior == DROP_CASCADE);
					break;
				}
			default:
				break;
		}
	}
}

/*
 * name_changes
 *		RENAME or SET SCHEMA of a table, view or function: what finds it by
 *		name stops finding it.
 */
static void
name_changes(GuardStatement *st, ObjectType objtype, RangeVar *relation,
			 Node *object, Node *stmt)
{
	GuardRelation *rel;

	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
			rel = table_of(st, relation, false);
			if (rel)
				add_change(st, CHANGE_RENAME_RELATION, "ALTER TABLE", rel,
						   AccessExclusiveLock, stmt);
			return;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			function_change(st, CHANGE_RENAME_FUNCTION, "ALTER FUNCTION", objtype,
							object, stmt);
			return;
		default:
			return;
	}
}

static void
rename_changes(GuardStatement *st, RenameStmt *stmt)
{
	GuardRelation *rel;
	GuardChange *change;

	switch (stmt->renameType)
	{
		case OBJECT_COLUMN:
			if (stmt->relationType != OBJECT_TABLE && stmt->relationType != OBJECT_VIEW &&
				stmt->relationType != OBJECT_MATVIEW)
				return;
			rel = table_of(st, stmt->relation, stmt->relation->inh);
			if (rel == NULL)
				return;
			change = add_change(st, CHANGE_RENAME_COLUMN, "ALTER TABLE", rel,
								AccessExclusiveLock, (Node *) stmt);
			change->colname = stmt->subname;
			change->attnum = get_attnum(rel->relid, stmt->subname);
			return;
		default:
			name_changes(st, stmt->renameType, stmt->relation, stmt->object,
						 (Node *) stmt);
			return;
	}
}

static void
set_schema_changes(GuardStatement *st, AlterObjectSchemaStmt *stmt)
{
	name_changes(st, stmt->objectType, stmt->relation, stmt->object, (Node *) stmt);
}

static void
vacuum_changes(GuardStatement *st, VacuumStmt *stmt)
{
	ListCell   *lc;
	List	   *tables = NIL;

	if (!stmt->is_vacuumcmd || !option_true(stmt->options, "full"))
		return;
	if (stmt->rels == NIL)
	{
		/* PostgreSQL vacuums only the tables the role may vacuum */
		foreach(lc, schema_tables(InvalidOid, false))
		{
			if (guard_vacuum_reaches(lfirst_oid(lc)))
				tables = lappend_oid(tables, lfirst_oid(lc));
		}
		tables = usable_tables(st, tables);
	}
	foreach(lc, stmt->rels)
	{
		VacuumRelation *vrel = lfirst(lc);
		Oid			relid = OidIsValid(vrel->oid) ? vrel->oid
		: table_oid(st, vrel->relation);

		if (OidIsValid(relid))
			tables = list_append_unique_oid(tables, relid);
	}
	foreach(lc, tables)
	{
		GuardRelation *rel;

		/* PostgreSQL skips, with a warning, the tables the role may not vacuum */
		if (!guard_vacuum_reaches(lfirst_oid(lc)))
			continue;
		rel = guard_relation(st, lfirst_oid(lc), true);
		if (rel && is_table_kind(rel->relkind))
			add_change(st, CHANGE_VACUUM_FULL, "VACUUM FULL", rel,
					   AccessExclusiveLock, (Node *) stmt);
	}
}

/*
 * CLUSTER without a table: every table with an index marked clustered that
 * the current role owns (PostgreSQL leaves the others alone).
 */
static List *
clustered_tables(void)
{
	Relation	pg_index = table_open(IndexRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(pg_index, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *result = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_index form = (Form_pg_index) GETSTRUCT(tuple);

		if (form->indisclustered && pg_class_ownercheck(form->indrelid, GetUserId()))
			result = list_append_unique_oid(result, form->indrelid);
	}
	systable_endscan(scan);
	table_close(pg_index, AccessShareLock);
	return result;
}

static void
cluster_changes(GuardStatement *st, ClusterStmt *stmt)
{
	List	   *tables = NIL;
	ListCell   *lc;

	if (stmt->relation)
	{
		Oid			relid = permitted_table(st, stmt->relation);

		if (!OidIsValid(relid))
			return;
		tables = list_make1_oid(relid);
	}
	else
		tables = usable_tables(st, clustered_tables());
	foreach(lc, tables)
	{
		GuardRelation *rel = guard_relation(st, lfirst_oid(lc), true);

		if (rel && is_table_kind(rel->relkind))
			add_change(st, CHANGE_CLUSTER, "CLUSTER", rel, AccessExclusiveLock,
					   (Node *) stmt);
	}
}

static void
domain_changes(GuardStatement *st, AlterDomainStmt *stmt)
{
	TypeName   *typename;
	Oid			typid;
	GuardChange *change;

	if (stmt->subtype == 'C')
	{
		Constraint *con = castNode(Constraint, stmt->def);

		if (con->contype != CONSTR_CHECK || con->skip_validation)
			return;
	}
	else if (stmt->subtype != 'N')
		return;
	typename = makeTypeNameFromNameList(stmt->typeName);
	typid = LookupTypeNameOid(NULL, typename, true);
	if (!OidIsValid(typid) || get_typtype(typid) != TYPTYPE_DOMAIN)
		return;
	if (!guard_may_run_on(st, TypeRelationId, typid))
	{
		st->denied = true;
		return;
	}
	change = add_change(st, CHANGE_DOMAIN_CONSTRAINT, "ALTER DOMAIN", NULL,
						ShareLock, (Node *) stmt);
	change->object.classId = TypeRelationId;
	change->object.objectId = typid;
	change->object_name = format_type_be_qualified(typid);
}

/*
 * partition_changes
 *		CREATE TABLE ... PARTITION OF: ACCESS EXCLUSIVE on the parent, and,
 *		if the parent has a default partition, a read of it for rows of the
 *		new partition (the attach change, with no table of its own).
 */
static void
partition_changes(GuardStatement *st, CreateStmt *stmt)
{
	GuardRelation *parent;
	GuardChange *change;

	if (stmt->partbound == NULL || list_length(stmt->inhRelations) != 1)
		return;
	parent = table_of(st, linitial_node(RangeVar, stmt->inhRelations), true);
	if (parent == NULL || parent->relkind != RELKIND_PARTITIONED_TABLE)
		return;
	add_change(st, CHANGE_OTHER, "CREATE TABLE", parent, AccessExclusiveLock,
			   (Node *) stmt);
	change = add_change(st, CHANGE_ATTACH_PARTITION, "CREATE TABLE", NULL,
						AccessExclusiveLock, (Node *) stmt);
	change->object.classId = RelationRelationId;
	change->object.objectId = parent->relid;
	change->object_name = parent->sql_name;
}

/*
 * guard_collect_changes
 *		Fill st->changes from st->parsetree.
 */
void
guard_collect_changes(GuardStatement *st)
{
	Node	   *parsetree = st->parsetree;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			alter_table_changes(st, (AlterTableStmt *) parsetree);
			break;
		case T_IndexStmt:
			{
				IndexStmt  *stmt = (IndexStmt *) parsetree;
				GuardRelation *rel;

				if (stmt->concurrent)
					break;
				rel = table_of(st, stmt->relation, stmt->relation->inh);
				/* CREATE INDEX ON ONLY a partitioned table builds nothing */
				if (rel == NULL || !is_table_kind(rel->relkind) ||
					(rel->relkind == RELKIND_PARTITIONED_TABLE && !stmt->relation->inh))
					break;
				add_change(st, CHANGE_CREATE_INDEX, "CREATE INDEX", rel, ShareLock,
						   parsetree);
				break;
			}
		case T_ReindexStmt:
			reindex_changes(st, (ReindexStmt *) parsetree);
			break;
		case T_DropStmt:
			drop_changes(st, (DropStmt *) parsetree);
			break;
		case T_TruncateStmt:
			{
				List	   *seen = NIL;

				foreach(lc, ((TruncateStmt *) parsetree)->relations)
				{
					RangeVar   *rv = lfirst(lc);
					Oid			relid = table_oid(st, rv);
					GuardRelation *rel;

					/* a table named twice is truncated once */
					if (!OidIsValid(relid) || list_member_oid(seen, relid))
						continue;
					seen = lappend_oid(seen, relid);
					rel = table_of(st, rv, rv->inh);
					if (rel && is_table_kind(rel->relkind))
						add_change(st, CHANGE_TRUNCATE, "TRUNCATE", rel,
								   AccessExclusiveLock, parsetree);
				}
				break;
			}
		case T_RenameStmt:
			rename_changes(st, (RenameStmt *) parsetree);
			break;
		case T_AlterObjectSchemaStmt:
			set_schema_changes(st, (AlterObjectSchemaStmt *) parsetree);
			break;
		case T_VacuumStmt:
			vacuum_changes(st, (VacuumStmt *) parsetree);
			break;
		case T_ClusterStmt:
			cluster_changes(st, (ClusterStmt *) parsetree);
			break;
		case T_AlterDomainStmt:
			domain_changes(st, (AlterDomainStmt *) parsetree);
			break;
		case T_CreateStmt:
			partition_changes(st, (CreateStmt *) parsetree);
			break;
		case T_CreatePolicyStmt:
			exclusive_lock_change(st, "CREATE POLICY",
								  ((CreatePolicyStmt *) parsetree)->table, parsetree);
			break;
		case T_AlterPolicyStmt:
			exclusive_lock_change(st, "ALTER POLICY",
								  ((AlterPolicyStmt *) parsetree)->table, parsetree);
			break;
		case T_RuleStmt:
			exclusive_lock_change(st, "CREATE RULE",
								  ((RuleStmt *) parsetree)->relation, parsetree);
			break;
		case T_RefreshMatViewStmt:
			if (!((RefreshMatViewStmt *) parsetree)->concurrent)
				exclusive_lock_change(st, "REFRESH MATERIALIZED VIEW",
									  ((RefreshMatViewStmt *) parsetree)->relation,
									  parsetree);
			break;
		default:
			break;
	}
	/* the caller may not run it: PostgreSQL's own error follows, unjudged */
	if (st->denied)
	{
		st->changes = NIL;
		st->withheld = 0;
	}
}

/* Record what a name means from the next statement of the script on. */
static void
note_name(List **names, const char *nspname, const char *relname,
		  GuardScriptNameKind kind, Oid relid)
{
	GuardScriptName *n = palloc(sizeof(GuardScriptName));

	n->nspname = pstrdup(nspname);
	n->relname = pstrdup(relname);
	n->kind = kind;
	n->relid = relid;
	*names = lcons(n, *names);
}

/* The schema of the table rv names, as the script has left it. */
static char *
script_schema(RangeVar *rv, Oid relid, bool is_new, GuardScriptName *renamed)
{
	if (rv->schemaname)
		return pstrdup(rv->schemaname);
	if (renamed)
		return pstrdup(renamed->nspname);
	if (is_new)
		return creation_schema(rv);
	return OidIsValid(relid) ? get_namespace_name(get_rel_namespace(relid)) : NULL;
}

/*
 * move_name
 *		A RENAME or SET SCHEMA of the table rv names: the old name names
 *		nothing any more, the new one what the old one named.
 */
static void
move_name(GuardStatement *st, List **names, RangeVar *rv, const char *newschema,
		  const char *newname)
{
	bool		is_new;
	GuardScriptName *renamed;
	Oid			relid = script_relid(st, rv, &is_new, &renamed);
	char	   *nspname = script_schema(rv, relid, is_new, renamed);

	if (!is_new && !OidIsValid(relid))
		return;					/* the statement fails */
	if (nspname == NULL)
		return;
	note_name(names, nspname, rv->relname, SCRIPT_NAME_GONE, InvalidOid);
	note_name(names, newschema ? newschema : nspname, newname ? newname : rv->relname,
			  is_new ? SCRIPT_NAME_NEW : SCRIPT_NAME_EXISTING, relid);
}

/*
 * guard_script_note
 *		Dry run: what the statement does to table names, for the statements
 *		after it.  A table it creates is new and empty; one it renames or
 *		moves is found under its new name only; one it drops is gone.
 */
void
guard_script_note(GuardStatement *st, List **names)
{
	RangeVar   *rv = NULL;
	bool		if_not_exists;
	bool		is_new;
	char	   *nspname;
	ListCell   *lc;

	switch (nodeTag(st->parsetree))
	{
		case T_CreateStmt:
			rv = ((CreateStmt *) st->parsetree)->relation;
			if_not_exists = ((CreateStmt *) st->parsetree)->if_not_exists;
			break;
		case T_CreateTableAsStmt:
			rv = ((CreateTableAsStmt *) st->parsetree)->into->rel;
			if_not_exists = ((CreateTableAsStmt *) st->parsetree)->if_not_exists;
			break;
		case T_RenameStmt:
			{
				RenameStmt *stmt = (RenameStmt *) st->parsetree;

				if (stmt->renameType == OBJECT_TABLE || stmt->renameType == OBJECT_VIEW ||
					stmt->renameType == OBJECT_MATVIEW)
					move_name(st, names, stmt->relation, NULL, stmt->newname);
				return;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) st->parsetree;

				if (stmt->objectType == OBJECT_TABLE || stmt->objectType == OBJECT_VIEW ||
					stmt->objectType == OBJECT_MATVIEW)
					move_name(st, names, stmt->relation, stmt->newschema, NULL);
				return;
			}
		case T_DropStmt:
			{
				DropStmt   *stmt = (DropStmt *) st->parsetree;
				List	   *seen = NIL;

				if (stmt->removeType != OBJECT_TABLE && stmt->removeType != OBJECT_VIEW &&
					stmt->removeType != OBJECT_MATVIEW)
					return;
				foreach(lc, stmt->objects)
				{
					RangeVar   *drop = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
					GuardScriptName *renamed;
					Oid			relid = script_relid(st, drop, &is_new, &renamed);

					if (!is_new && !OidIsValid(relid))
						continue;
					/* a table named twice is gone once */
					if (OidIsValid(relid) && list_member_oid(seen, relid))
						continue;
					seen = lappend_oid(seen, relid);
					nspname = script_schema(drop, relid, is_new, renamed);
					if (nspname)
						note_name(names, nspname, drop->relname, SCRIPT_NAME_GONE,
								  InvalidOid);
				}
				return;
			}
		default:
			return;
	}
	/* exists: IF NOT EXISTS leaves it */
	if (if_not_exists && (OidIsValid(script_relid(st, rv, &is_new, NULL)) || is_new))
		return;
	nspname = creation_schema(rv);
	if (nspname)
		note_name(names, nspname, rv->relname, SCRIPT_NAME_NEW, InvalidOid);
}
