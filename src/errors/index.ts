export { errorCatalog, isErrorCode, type CatalogEntry, type ErrorCode } from "./catalog.ts";
export { BatonError, isBatonError, isPermanentError, type ErrorDetails } from "./baton-error.ts";
