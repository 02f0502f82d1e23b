// One-line usage of every command (kept apart so `opsflow --help` loads no command module).
export const usages = {
  submit: 'opsflow submit -f <file> [--wait] [-n ns] [-o json|yaml]',
  updateVersion: 'opsflow update-version <postgres|singlestore|proxysql>/<name> --to <version> [--wait] [--approval Required] [--timeout 10m] [-n ns] [-o json|yaml]',
  restart: 'opsflow restart <postgres|singlestore|proxysql>/<name> [--wait] [--approval Required] [--timeout 10m] [-n ns] [-o json|yaml]',
  plan: 'opsflow plan -f <file> [-n ns] [-o json|yaml]',
  status: 'opsflow status <name | pgops/<name>> [--watch] [-n ns] [-o json|yaml]',
  list: 'opsflow list [-A | -n ns] [--phase <phase>] [--database <name>] [--type <type>] [-o json|yaml]',
  approve: 'opsflow approve <name | pgops/<name>> [--as <user>] [-n ns]',
  cancel: 'opsflow cancel <name | pgops/<name>> [-n ns]',
  version: 'opsflow version [-o json|yaml]',
  retry: 'opsflow retry <name | pgops/<name>> [-n ns] [-o json|yaml]',
};
