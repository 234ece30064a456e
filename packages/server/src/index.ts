export { openDatabase, type Db } from './database.js';
export { createHttpServer, errorBody, toWrError, measured, listen, closeOnSignals, type HttpServer, type HttpServerOptions } from './http.js';
export { SEALED_SECRETS_SCHEMA, loadSealedSecret } from './sealed-secrets.js';
