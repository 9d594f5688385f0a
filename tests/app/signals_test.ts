/**
 * Signals as users send them: Ctrl-C typed in a real pseudo-terminal (`script`
 * gives the program one; the terminal signals the whole foreground process
 * group, and `deno task` forwards the signal once more), and SIGTERM from a
 * supervisor.
 */
import assert from "node:assert/strict";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase, serverOnly } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { gasDayAt } from "../../src/domain/gas_day.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CTRL_C = new Uint8Array([3]);

interface Pty {
  /** JSON log lines seen so far. */
  lines: Record<string, unknown>[];
  /** Everything the terminal showed. */
  text(): string;
  /** Type into the terminal. */
  type(bytes: Uint8Array): Promise<void>;
  /** Resolves with the program's exit status. */
  status: Promise<number>;
  /** Wait for a log event, failing after `ms`. */
  waitFor(event: string, ms?: number): Promise<Record<string, unknown>>;
}

/** Run `command` (a shell line) in a pseudo-terminal, in the repository root. */
function inPty(command: string, env: Record<string, string>): Pty {
  // `exec`: the program is the terminal's foreground job, as under a user's
  // shell. Without it, whichever shell `script` starts ($SHELL, or dash, which
  // does not exec a lone command) waits in the same group and dies of the same
  // Ctrl-C, and the terminal reports 130 for the shell, not the program.
  const child = new Deno.Command("script", {
    args: ["-qfec", `exec ${command}`, "/dev/null"],
    cwd: ROOT,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let raw = "";
  const lines: Record<string, unknown>[] = [];
  const read = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      raw += chunk;
      lines.length = 0;
      for (const piece of raw.split(/[\r\n]+/)) {
        // The terminal echoes ^C in front of the next line; the bar clears its line.
        const json = piece.replaceAll("\x1b[2K", "").trim();
        const open = json.indexOf("{");
        if (open >= 0 && json.endsWith("}")) lines.push(JSON.parse(json.slice(open)));
      }
    }
  })();
  const status = (async () => {
    const s = await child.status;
    await read;
    await writer.close().catch(() => {});
    return s.code;
  })();
  const waitFor = async (event: string, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const hit = lines.find((l) => l.event === event);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${event} within ${ms} ms; terminal showed:\n${raw.slice(-2000)}`);
  };
  return { lines, text: () => raw, type: (b) => writer.write(b), status, waitFor };
}

interface Site {
  env: Record<string, string>;
  config: string;
  gasDay: string;
  /** Resolves once the site has been asked for a file (its answer is then in flight). */
  asked(): Promise<void>;
}

async function withSite(
  fn: (s: Site) => Promise<void>,
  o: { delayMs: number },
) {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-signals-" });
  const body = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
  // Every pair is posted, slowly: a load is in flight when the key is pressed.
  fake.setDefault(() => ({ kind: "slow_body", body, delayMs: o.delayMs }));
  try {
    const config = await writeConfig(dir, { requests_per_minute: "6000" });
    const env = {
      ...programEnv({ apiUrl: fake.url, db: t.config, dataDir: `${dir}/data` }),
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      NO_COLOR: "1",
      LOG_LEVEL: "debug",
    };
    const asked = async () => {
      const deadline = Date.now() + 60_000;
      while (fake.requests.length === 0) {
        if (Date.now() > deadline) throw new Error("the site was not asked within 60 s");
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await fn({ env, config, gasDay: gasDayAt(new Date(), "America/Chicago"), asked });
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
}

const SERVER_ONLY = serverOnly("the program runs in another process");

Deno.test(
  "signals: one Ctrl-C under `deno task start` in a terminal is a graceful stop, exit 0" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    await withSite(async ({ env, config, asked }) => {
      const p = inPty(`deno task start --config ${config} --params cycle=0`, env);
      await asked();
      await p.type(CTRL_C);
      assert.equal(await p.status, 0, p.text().slice(-2000));
      const starts = p.lines.filter((l) => l.event === "shutdown.start");
      assert.equal(starts.length, 1, "the forwarded copy of the signal is the same event");
      assert.ok(!p.lines.some((l) => l.event === "shutdown.forced"));
      assert.ok(p.lines.some((l) => l.event === "shutdown.done"));
      assert.ok(p.lines.some((l) => l.event === "load.done"), "the file in flight committed");
    }, { delayMs: 1500 });
  },
);

Deno.test("signals: a second Ctrl-C, a moment later, forces the exit (130)" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  await withSite(async ({ env, config, asked }) => {
    const p = inPty(`deno task start --config ${config} --params cycle=0`, env);
    await asked();
    await p.type(CTRL_C);
    await p.waitFor("shutdown.start");
    await new Promise((r) => setTimeout(r, 1500));
    await p.type(CTRL_C);
    assert.equal(await p.status, 130);
    assert.ok(p.lines.some((l) => l.event === "shutdown.forced"));
  }, { delayMs: 20_000 });
});

Deno.test(
  "signals: Ctrl-C stops a backfill between pairs, with a summary and exit 4" + SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    await withSite(async ({ env, config, asked }) => {
      const p = inPty(
        `deno task start backfill --config ${config} --from 2024-01-01 --to 2024-01-10 --cycles timely`,
        env,
      );
      await asked();
      await p.type(CTRL_C);
      assert.equal(await p.status, 4, p.text().slice(-2000));
      const end = await p.waitFor("backfill.interrupted", 1000);
      assert.ok(Number(end.remaining) > 0, "some pairs were never started");
      assert.ok(Number(end.loaded) >= 1, "the pair in flight finished");
      assert.match(String(end.resume), /same backfill command/);
      // The progress bar is drawn and its line is ended, not left half-written.
      assert.match(p.text(), /\[[#-]{30}\] \d+\/10/);
      assert.match(p.text(), /ETA [^\r\n]*\r?\n/);
    }, { delayMs: 1500 });
  },
);

Deno.test(
  "signals: SIGTERM to --once lets the file in flight commit, then exit 4 with a summary" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    await withSite(async ({ env, config, gasDay, asked }) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${ROOT}src/main.ts`,
          "--once",
          "--config",
          config,
          "--params",
          `gasDay=[${gasDay},2024-01-01,2024-01-02]`,
          "cycle=0",
        ],
        env: { ...env, DATA_DIR: `${env.DATA_DIR}` },
        stderr: "piped",
        stdout: "null",
      }).spawn();
      const lines: Record<string, unknown>[] = [];
      const read = (async () => {
        let buf = "";
        for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) {
          buf += c;
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            const l = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (l.startsWith("{")) lines.push(JSON.parse(l));
          }
        }
      })();
      await asked();
      child.kill("SIGTERM");
      const { code } = await child.status;
      await read;
      assert.equal(code, 4);
      const end = lines.find((l) => l.event === "run.interrupted");
      assert.ok(end, "a closing summary");
      // Two workers: the pairs in flight finish, the third is never started.
      assert.equal(end.loaded, 2);
      assert.equal(end.remaining, 1);
    }, { delayMs: 1500 });
  },
);
