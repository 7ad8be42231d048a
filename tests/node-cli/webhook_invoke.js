// Runs Twilio's CLI command `twilio webhook:invoke` (twilio-cli + @twilio-labs/plugin-webhook) for
// many cases in one Node.js process, so the CLI's start-up (oclif, plugins) is paid once.
// stdin:  {"cases": [{"argv": [url, flags...], "env": {extra environment}}]}
// stdout: [{"output": what the command printed, "log": its messages, "error": its error or null}].
// The plugin is found as `twilio plugins:link` records it: in $HOME/.twilio-cli/package.json.
const path = require("path");

const cliRoot = path.dirname(require.resolve("twilio-cli/package.json"));
const need = (name) => require(require.resolve(name, { paths: [cliRoot] }));

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const oclif = need("@oclif/core");
  need("@twilio/cli-core").configureEnv();
  const config = await oclif.Config.load(cliRoot);
  const write = process.stdout.write.bind(process.stdout);
  const writeLog = process.stderr.write.bind(process.stderr);
  const results = [];
  for (const one of input.cases) {
    const before = { ...process.env };
    Object.assign(process.env, one.env || {});
    let output = "";
    let log = "";
    let error = null;
    process.stdout.write = (chunk) => {
      output += chunk;
      return true;
    };
    process.stderr.write = (chunk) => {
      log += chunk;
      return true;
    };
    try {
      await config.runCommand("webhook:invoke", one.argv);
    } catch (err) {
      error = String((err && err.message) || err);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeLog;
      for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
      Object.assign(process.env, before);
    }
    results.push({ output, log, error });
  }
  write(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
