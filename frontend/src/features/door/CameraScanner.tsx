/**
 * Reads ticket QR codes with the camera: the browser's BarcodeDetector where there is
 * one (Chrome on Android), otherwise `jsqr` on frames of the getUserMedia video. The
 * same code seen again within a few seconds (the ticket still in front of the camera)
 * is reported once.
 */
import { useCallback, useEffect, useRef, useState } from "react";

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorClass = new (options?: { formats?: string[] }) => BarcodeDetectorLike;

const REPEAT_MS = 3000;
const FRAME_MS = 200;

function nativeDetector(): BarcodeDetectorLike | null {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return null;
  try {
    return new Detector({ formats: ["qr_code"] });
  } catch {
    return null;
  }
}

type Decode = (video: HTMLVideoElement) => Promise<string | null>;

async function makeDecoder(): Promise<Decode> {
  const native = nativeDetector();
  if (native) {
    return async (video) => {
      const found = await native.detect(video);
      return found[0]?.rawValue ?? null;
    };
  }
  const { default: jsQR } = await import("jsqr");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    if (!context || video.videoWidth === 0) return null;
    // A smaller frame decodes faster on a phone and still reads a ticket at arm's length.
    const scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" })?.data ?? null;
  };
}

export function CameraScanner({ onCode, paused = false }: { onCode: (code: string) => void; paused?: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [on, setOn] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const last = useRef<{ code: string; at: number } | null>(null);
  const report = useRef(onCode);
  report.current = onCode;
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  const seen = useCallback((code: string) => {
    const now = Date.now();
    if (last.current && last.current.code === code && now - last.current.at < REPEAT_MS) return;
    last.current = { code, at: now };
    report.current(code);
  }, []);

  useEffect(() => {
    if (!on) return;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    void (async () => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setError("This browser cannot use the camera here (it needs https). Type the code instead.");
        setOn(false);
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      } catch (e) {
        setError(
          e instanceof DOMException && e.name === "NotAllowedError"
            ? "The camera is blocked: allow it in the browser's settings, or type the code."
            : "No camera could be opened. Type the code instead.",
        );
        setOn(false);
        return;
      }
      if (stopped || !video.current) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      video.current.srcObject = stream;
      await video.current.play().catch(() => undefined);
      const decode = await makeDecoder();
      const tick = async () => {
        if (stopped) return;
        if (!pausedRef.current && video.current && video.current.readyState >= 2) {
          try {
            const code = await decode(video.current);
            if (code) seen(code);
          } catch {
            // A frame that cannot be read: try the next one.
          }
        }
        timer = setTimeout(() => void tick(), FRAME_MS);
      };
      void tick();
    })();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, [on, seen]);

  return (
    <div className="stack">
      <button type="button" aria-pressed={on} onClick={() => { setError(null); setOn(!on); }}>
        {on ? "Stop the camera" : "Scan with the camera"}
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {on && <video ref={video} className="door-video" muted playsInline aria-label="Camera: hold the ticket's QR code in view" />}
    </div>
  );
}
