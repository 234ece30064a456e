export { startLocalNetwork, type LocalNetwork, type LocalNetworkOptions, type ServerProcess } from './dev/network.js';
