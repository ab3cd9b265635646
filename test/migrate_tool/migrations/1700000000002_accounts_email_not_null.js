// SET NOT NULL, written with node-pg-migrate's own builder, without a
// transaction: rewrite mode proves it with a CHECK NOT VALID, validates it,
// then sets NOT NULL without a scan.
exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.alterColumn('accounts', 'email', { notNull: true });
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.alterColumn('accounts', 'email', { notNull: false });
};
