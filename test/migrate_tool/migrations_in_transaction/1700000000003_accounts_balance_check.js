// In node-pg-migrate's default transaction: rewrite mode cannot carry it
// out there, and the guard blocks it as without rewrite mode.
exports.up = (pgm) => {
  pgm.addConstraint('accounts', 'balance_positive', { check: 'balance >= 0' });
};
