import { Problem } from "../components.tsx";
import { BarePage, href, Page, type Frame } from "../layout.tsx";

const TITLES: Record<number, string> = { 400: "That request cannot be answered", 403: "Not allowed", 404: "Not found", 413: "Too large", 503: "Temporarily unavailable" };

/** An error as a page: its code and message (escaped like everything rendered), and a way back. */
export function problemPage(props: { status: number; code: string; message: string; frame: Frame | undefined }) {
  const title = TITLES[props.status] ?? "Something went wrong";
  const body = (
    <>
      <Problem>
        <strong>{props.code}</strong>
        {`: ${props.message}`}
      </Problem>
      <p>
        <a href={href("/")}>Back to the overview</a>
      </p>
    </>
  );
  return props.frame === undefined ? (
    <BarePage title={title}>
      <h1>{title}</h1>
      {body}
    </BarePage>
  ) : (
    <Page title={title} section={null} frame={props.frame}>
      {body}
    </Page>
  );
}
