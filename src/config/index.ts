export {
  readConfigFile,
  loadConfigFile,
  parseConfigText,
  validateConfig,
  formatConfigIssue,
  type ConfigIssue,
  type ConfigResult,
  type LoadedConfig,
} from "./load.ts";
export {
  configSchema,
  type BatonConfig,
  type ProviderConfig,
  type EightByEightProviderConfig,
  type EndpointConfig,
  type CopilotConfig,
  type CopilotAiConfig,
} from "./schema.ts";
