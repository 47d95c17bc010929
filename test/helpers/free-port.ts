// The implementation moved to local/ so the local cluster launcher shares it; tests keep this path.
export { freePort } from '../../local/process/free-port';
