/** The confirmation step for disconnecting without JavaScript. */
import type { ConnectionView } from "../lib/views.ts";

export function DisconnectConfirmPage(
  { connection, csrf }: { connection: ConnectionView; csrf: string },
) {
  const company = connection.company_name ?? "your company";
  return (
    <section class="panel error-panel" aria-labelledby="confirm-title">
      <p class="eyebrow">Disconnect</p>
      <h1 id="confirm-title">Disconnect {connection.provider_name}?</h1>
      <p class="lead">
        We will stop syncing data for <strong>{company}</strong>{" "}
        and revoke this connection's access at{" "}
        {connection.provider_name}. You can connect again at any time.
      </p>
      <form
        method="post"
        action={`/connections/${
          encodeURIComponent(connection.connection_id)
        }/disconnect`}
      >
        <input type="hidden" name="_csrf" value={csrf} />
        <div class="actions">
          <a class="button button-secondary" href="/connections">Cancel</a>
          <button type="submit" class="button button-danger">Disconnect</button>
        </div>
      </form>
    </section>
  );
}
