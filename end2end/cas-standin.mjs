// A CAS server for the end-to-end tests (protocol 3): a login form where any name logs in,
// single-use service tickets bound to their service, and p3/serviceValidate. Loopback only.
import http from 'node:http';

const port = Number(process.env.CAS_PORT ?? 3930);
const tickets = new Map(); // ticket → { service, user }
let issued = 0;

const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

http
  .createServer((request, response) => {
    const url = new URL(request.url, `http://127.0.0.1:${port}`);
    const service = url.searchParams.get('service') ?? '';
    if (url.pathname === '/cas/health') {
      response.end('ok');
    } else if (url.pathname === '/cas/login') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!DOCTYPE html><title>CAS</title><h1>Central login</h1>
<form action="/cas/login/submit"><input type="hidden" name="service" value="${escape(service)}">
<label>CAS name <input name="username"></label><button>Sign in to CAS</button></form>`);
    } else if (url.pathname === '/cas/login/submit') {
      issued += 1;
      const ticket = `ST-${issued}-e2e`;
      tickets.set(ticket, { service, user: url.searchParams.get('username') ?? '' });
      response.writeHead(302, { location: `${service}${service.includes('?') ? '&' : '?'}ticket=${ticket}` });
      response.end();
    } else if (url.pathname === '/cas/p3/serviceValidate') {
      const ticket = url.searchParams.get('ticket') ?? '';
      const found = tickets.get(ticket);
      tickets.delete(ticket);
      const body = found && found.service === service
        ? `<cas:authenticationSuccess><cas:user>${escape(found.user)}</cas:user></cas:authenticationSuccess>`
        : `<cas:authenticationFailure code="INVALID_TICKET">Ticket ${escape(ticket)} not recognized</cas:authenticationFailure>`;
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">${body}</cas:serviceResponse>`);
    } else {
      response.writeHead(404);
      response.end();
    }
  })
  .listen(port, '127.0.0.1');
