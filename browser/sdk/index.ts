/**
 * The WebOffice JS-SDK, bundled as an IIFE defining the global `aliyun` (the shape of IMM's
 * aliyun-web-office-sdk.min.js; the public types are in aliyun-web-office-sdk.d.ts, which this file is checked
 * against).
 */
import { WebOfficeInstance } from './instance.js';

export const config: typeof aliyun.config = (options) => new WebOfficeInstance(options);
