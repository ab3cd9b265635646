# schemaguard: PGXS build.  `make && make install`, then CREATE EXTENSION.
MODULE_big = schemaguard
OBJS = \
	src/schemaguard.o \
	src/lineage/ddl_events.o \
	src/lineage/query.o \
	src/lineage/object.o \
	src/lineage/function.o \
	src/lineage/plpgsql.o \
	src/lineage/plpgsql_cursors.o \
	src/lineage/plpgsql_walk.o \
	src/lineage/pg_query_sealed.o \
	src/lineage/store.o \
	src/lineage/target.o \
	src/lineage/impact.o \
	src/lineage/unresolved.o \
	src/lineage/notes.o \
	src/lineage/names.o \
	src/lineage/dynamic_sql.o \
	src/lineage/trigger_args.o \
	src/lineage/graph.o \
	src/lineage/openlineage.o \
	src/lineage/origin.o \
	src/lineage/dependents.o \
	src/guard/hook.o \
	src/guard/changes.o \
	src/guard/evidence.o \
	src/guard/sessions.o \
	src/guard/registry.o \
	src/guard/rules/breaks_dependents.o \
	src/guard/rules/table_rewrite.o \
	src/guard/rules/full_scan_under_lock.o \
	src/guard/rules/blocking_index_build.o \
	src/guard/rules/data_loss.o \
	src/guard/rules/lock_timeout.o \
	src/guard/check_ddl.o \
	src/guard/report.o \
	src/guard/audit.o \
	src/guard/user_code.o \
	src/guard/visibility.o \
	src/guard/predict.o \
	src/guard/rewrite.o \
	src/migrate/parse.o \
	src/migrate/state.o \
	src/migrate/lookup.o \
	src/migrate/deparse.o \
	src/migrate/plan.o \
	src/migrate/sync.o \
	src/migrate/dependents.o \
	src/migrate/exec.o \
	src/migrate/expand.o \
	src/migrate/backfill.o \
	src/migrate/verify.o \
	src/migrate/switch.o \
	src/migrate/contract.o \
	src/migrate/kinds/alter_type.o \
	src/migrate/kinds/rename_column.o \
	src/migrate/kinds/add_column.o \
	src/migrate/kinds/direct.o \
	src/migrate/objects.o \
	src/migrate/bodies.o \
	src/migrate/rewrite.o \
	src/migrate/kinds/set_not_null.o \
	src/migrate/kinds/add_constraint.o \
	src/migrate/kinds/create_index.o \
	src/migrate/kinds/drop_index.o \
	src/migrate/kinds/reindex.o \
	src/migrate/kinds/drop_column.o \
	src/migrate/kinds/rename_table.o \
	src/migrate/kinds/drop_table.o

EXTENSION = schemaguard
DATA = sql/schemaguard--0.1.0.sql sql/schemaguard--0.1.0--0.2.0.sql sql/schemaguard--0.2.0--0.3.0.sql

# pg_regress reads sql/<test>.sql and compares with expected/<test>.out
REGRESS = install view_constructs upkeep catalog_dependents function_bodies plpgsql_bodies plpgsql_names unresolved names_and_search_path privileges errors analysis_interrupts dynamic_sql failed_statements plpgsql_records trigger_functions windows_sorts partitions pagila rebuild guard_rules guard_rewrite_matrix guard_behaviour guard_cache do_no_harm guard_trust
# function bodies read optimistically, then statement by statement (issue 14)
REGRESS += optimistic_reading
# expand/contract migrations
REGRESS += migrate_plan migrate_states migrate_permissions
# the guard rewrites what it blocks: more change kinds, rewrite mode
REGRESS += migrate_kinds rewrite_mode
# lineage out to other tools (OpenLineage, pictures, impact reports, the CLI)
REGRESS += check_ddl_locations impact_graph openlineage impact_report
REGRESS_OPTS = --inputdir=.

# pg_isolation_regress reads test/isolation/specs/<test>.spec and
# test/isolation/expected/<test>.out
ISOLATION = rebuild_concurrent_ddl upkeep_concurrent_refresh analysis_no_wait analysis_cancel guard_blocks_writers guard_cache
ISOLATION += rewrite_writer_wait
ISOLATION += upkeep_alter_lookup
ISOLATION_OPTS = --inputdir=test/isolation

# prove runs test/t/*.pl (PostgreSQL::Test::Cluster makes its own clusters
# with the binaries of PG_CONFIG; initdb refuses to run as root)
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Werror
# Calls between the library's own functions bind at link time, not by a
# symbol search of every loaded object when a session loads it.
SHLIB_LINK += -Wl,-Bsymbolic

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies (Debian's server is built without
# --enable-depend): every object is rebuilt when any of our headers changes,
# so that a changed struct never meets a stale object.
$(OBJS): $(wildcard src/*.h src/*/*.h src/*/*/*.h)

# pg_schemaguard, the command-line client, has a makefile of its own
# (src/cli/Makefile: PGXS builds a PROGRAM and a MODULE_big only apart)
all: cli
cli:
	$(MAKE) -C src/cli PG_CONFIG="$(PG_CONFIG)"
install: install-cli
install-cli: cli
	$(MAKE) -C src/cli PG_CONFIG="$(PG_CONFIG)" install
clean: clean-cli
clean-cli:
	$(MAKE) -C src/cli PG_CONFIG="$(PG_CONFIG)" clean
.PHONY: cli install-cli clean-cli
