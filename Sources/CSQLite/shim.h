#include <sqlite3.h>

/// `sqlite3_db_config` is variadic, which Swift cannot call: one fixed-signature wrapper per option used.
/// Query planner stability: without it, SQLite 3.40 recompiles a statement at every execution when a partial
/// index's usability depends on a bound value (the day and month refresh: 3 % of the gateway's CPU).
static inline int pmc_sqlite3_enable_qpsg(sqlite3 *db, int enable) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, enable, (int *)0);
}
