// Whether a service the tests need answers: skipped with the reason when it does not, or a
// failure under EVREG_REQUIRE_SERVICES=1 (what CI sets), as in the Python tests.
import net from "node:net";
import { test } from "node:test";

export async function reachable(name, url) {
  const { hostname, port } = new URL(url);
  const ok = await new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!ok) {
    const reason = `${name} is not reachable at ${hostname}:${port}`;
    if (process.env.EVREG_REQUIRE_SERVICES === "1") {
      test(`${name} is up`, () => {
        throw new Error(`${reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure`);
      });
    } else {
      test(`${name} is up`, { skip: reason }, () => {});
    }
  }
  return ok;
}
