// SIMULATED SingleStore / ProxySQL / MySQL (a ProxySQL backend) server process (dev/test infrastructure only; neither database's
// binaries exist on the registries this project installs from). The local pod runtime starts one per
// singlestore/node or proxysql/proxysql container:
//
//   node --import tsx devenv/runtime/mysql-sim/main.ts
//
// configured by the environment (see README.md in this folder for the full contract):
//   SIM_KIND=singlestore|proxysql, SIM_VERSION (or SIM_IMAGE), SIM_HOST (IP to bind), SIM_STATE_DIR,
//   POD_NAME; SingleStore: NODE_ROLE, MASTER_HOST, MASTER_HOSTADDR, ROOT_USER, ROOT_PASSWORD,
//   SIM_CONFIG_DIR; ProxySQL: ADMIN_USER, ADMIN_PASSWORD; MySQL: MYSQL_ROOT_PASSWORD;
//   peers: SIM_PEERS / SIM_PEERS_FILE.
// SIGTERM / SIGINT stop it (exit 0); a bad configuration exits 2 with the reason on stderr.
import { ConfigError, errorText, readSimEnv, simLogger } from './common.ts';
import { MySQLSim } from './mysql.ts';
import { ProxySQLSim } from './proxysql.ts';
import { SingleStoreSim } from './singlestore.ts';

async function main(): Promise<void> {
  const env = readSimEnv(process.env);
  const log = simLogger(env);
  const sim = env.kind === 'singlestore' ? new SingleStoreSim(env, log) : env.kind === 'mysql' ? new MySQLSim(env, log) : new ProxySQLSim(env, log);
  const stop = (signal: string) => {
    log.info('stopping', { signal });
    sim.stop().then(() => process.exit(0), () => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await sim.start();
}

main().catch((e: unknown) => {
  process.stderr.write(`[mysql-sim] ${e instanceof ConfigError ? 'configuration error' : 'failed to start'}: ${errorText(e)}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
