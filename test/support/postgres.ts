/** The PostgreSQL test harness, kept in @wr/server (where the workspace's unit tests reach it too): see its comment. */
export { postgresBinaries, postgresMissing, startPostgres, type TestPostgres } from '@wr/server/test-postgres';
