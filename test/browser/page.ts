/**
 * The script of the test page: the browser client, bundled as a web page would bundle it, with
 * one function the test calls from Chromium. It returns plain data (result or error code), as
 * page.evaluate can only carry JSON back.
 */
import { ConnectError, createFlorenceClient } from "../../client/browser.js";

declare global {
  interface Window {
    florenceCaption: (baseUrl: string, protocol: "grpc-web" | "connect", imageBase64: string) => Promise<unknown>;
  }
}

window.florenceCaption = async (baseUrl, protocol, imageBase64) => {
  const image = Uint8Array.from(atob(imageBase64), (c) => c.charCodeAt(0));
  const florence = createFlorenceClient({ baseUrl, protocol });
  try {
    const [caption] = await florence.captionImage(image, { maxNewTokens: 4, numBeams: 1 });
    return { ok: true, caption };
  } catch (e) {
    const error = ConnectError.from(e);
    return { ok: false, code: error.code, message: error.rawMessage };
  }
};
