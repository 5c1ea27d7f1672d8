// .http files: parsing, environments and variable resolution. Pure core: no 'vscode'.
export {
  BODY_FILE_ENCODINGS,
  HTTP_METHODS,
  parseHttpFile,
  requestAtLine,
  type HttpBodyFileReference,
  type HttpDiagnostic,
  type HttpFileRequest,
  type HttpFileVariable,
  type HttpHeaderLine,
  type HttpUrlPart,
  type ParsedHttpFile,
} from './parser';
export { MAX_BODY_FILE_BYTES, MAX_HTTP_FILE_BYTES, readBodyFile, readHttpFile, resolveRequest, resolveString, type VariableContext } from './variables';
export { ENV_FILE, PRIVATE_ENV_FILE, environmentsFromObject, loadDotenv, loadEnvironments, parseDotenv, type HttpEnvironments } from './environments';
export { SYSTEM_VARIABLES, parseJsonPath, type JsonPathStep, type RequestRef } from './template';
export {
  RequestVariableStore,
  UnsentRequestError,
  looksSecret,
  readRequestVariable,
  type RequestExchange,
  type RequestVariableSource,
} from './requestVariables';
