/**
 * A provider's logo over its initial. Finch's logos are remote URLs: where one cannot
 * load (offline, blocked), the broken image, having empty alt text, draws nothing and
 * the monogram beneath shows, with no script to swap them.
 */
export function ProviderLogo(
  { name, src, size = 40, lazy }: {
    name: string;
    src: string | null;
    size?: number;
    /** In the closed picker: fetched only once the list is opened. */
    lazy?: boolean;
  },
) {
  return (
    <span class={`logo logo-${size}`} aria-hidden="true">
      <span class="logo-monogram">{[...name][0]?.toUpperCase()}</span>
      {src && (
        <img
          src={src}
          alt=""
          width={size}
          height={size}
          loading={lazy ? "lazy" : undefined}
        />
      )}
    </span>
  );
}
