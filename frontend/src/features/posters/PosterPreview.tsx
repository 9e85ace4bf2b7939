/** The poster as the app's carousel shows it: the image, its title, the venue and how far. */
import { useState } from "react";

import { formatWhen } from "./time";

interface Props {
  imageUrl: string;
  title: string;
  venueName: string;
  eventTitle?: string | null | undefined;
  expiresAt?: string | null | undefined;
}

export function PosterPreview({ imageUrl, title, venueName, eventTitle, expiresAt }: Props) {
  const [failed, setFailed] = useState<string | null>(null);
  const heading = title.trim() || eventTitle || venueName;
  const showImage = imageUrl.startsWith("https://") && failed !== imageUrl;
  return (
    <figure className="poster-preview" aria-label="Preview of the poster in the app">
      {showImage ? (
        <img className="poster-preview__image" src={imageUrl} alt="" onError={() => setFailed(imageUrl)} />
      ) : (
        <div className="poster-preview__image poster-preview__image--empty" aria-hidden="true">
          {imageUrl ? "Image not reachable from here" : "No image yet"}
        </div>
      )}
      <figcaption className="poster-preview__body">
        <p className="poster-preview__title">{heading}</p>
        <p className="poster-preview__meta">
          {eventTitle && title.trim() ? `${eventTitle} · ` : ""}
          {venueName} · 1.2 km away
        </p>
        {expiresAt && <p className="poster-preview__meta">Until {formatWhen(expiresAt)}</p>}
      </figcaption>
    </figure>
  );
}
