// Run without a transaction, as CREATE INDEX CONCURRENTLY would have to be:
// the guard blocks the plain CREATE INDEX on a large table, and rewrite mode
// carries it out CONCURRENTLY instead.
exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.sql('CREATE INDEX accounts_email ON accounts (email)');
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.sql('DROP INDEX CONCURRENTLY accounts_email');
};
