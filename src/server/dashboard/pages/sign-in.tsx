import { Problem } from "../components.tsx";
import { BarePage, href } from "../layout.tsx";

/**
 * The sign-in form. The key field is a password field that is never filled in by the server:
 * a key is read from the form body and nothing else, and never written into a page or a URL.
 */
export function signInPage(props: { csrf: string; next: string | undefined; problem?: string; notice?: string; noKeys: boolean }) {
  return (
    <BarePage title="Sign in">
      <div class="signin">
        <h1>billhub dashboard</h1>
        {props.notice === undefined ? null : (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        {props.problem === undefined ? null : <Problem>{props.problem}</Problem>}
        {props.noKeys ? (
          <Problem>This hub has no API keys configured, so nobody can sign in. Add keys with BILLHUB_API_KEYS or server.apiKeys.</Problem>
        ) : (
          <form class="stack" method="post" action={href("/sign-in")}>
            <input type="hidden" name="csrf" value={props.csrf} />
            {props.next === undefined ? null : <input type="hidden" name="next" value={props.next} />}
            <label>
              API key
              <input type="password" name="key" required autocomplete="off" autofocus maxlength={512} />
            </label>
            <p class="muted">A read key can look at everything; a write key can also replay outbox rows.</p>
            <button class="primary" type="submit">
              Sign in
            </button>
          </form>
        )}
      </div>
    </BarePage>
  );
}
