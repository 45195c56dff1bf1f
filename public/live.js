// One server-sent-events connection per experiment, shared by every element of the page
// that follows it (GET /v4/experiments/{expid}/events). The browser reconnects on its own,
// sending Last-Event-ID, and the server replays what was missed (or sends `reset`).
//   const stop = follow("a000", { jobs: ({ jobs }) => …, graph: () => …, reset: () => … });
// `query` (e.g. `?embed=…`) is added to the stream's address: embedded pages' signed link.

const connections = new Map();

export function follow(expid, handlers, query = "") {
  const key = `${expid}${query}`;
  let connection = connections.get(key);
  if (!connection) {
    connection = { source: new EventSource(`/v4/experiments/${encodeURIComponent(expid)}/events${query}`), users: 0 };
    connections.set(key, connection);
  }
  connection.users += 1;
  const listeners = Object.entries(handlers).map(([name, handle]) => {
    const listener = (event) => handle(event.data ? JSON.parse(event.data) : {});
    connection.source.addEventListener(name, listener);
    return [name, listener];
  });
  return () => {
    for (const [name, listener] of listeners) connection.source.removeEventListener(name, listener);
    connection.users -= 1;
    if (connection.users === 0) {
      connection.source.close();
      connections.delete(key);
    }
  };
}

// Calls `run` at most once per `ms`, after the last call (events come in bursts).
export function debounce(run, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
}
