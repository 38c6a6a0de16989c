/** The product version; the packaging build stamps the commit into core/generated/build-info.ts. */
export const VERSION = '0.1.0';
