export { startLocalNetwork, type LocalNetwork, type LocalNetworkOptions, type ServerProcess } from './dev/network.js';
export { CONSOLE_CALLS, CONSOLE_SCOPES } from './dev/console-key.js';
