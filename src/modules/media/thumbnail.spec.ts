import { PassThrough, Readable } from 'node:stream';
import sharp from 'sharp';
import {
  renderThumbnail,
  thumbnailFilename,
  thumbnailKeyOf,
  UndecodableImageError,
} from './thumbnail';

const solid = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } });

describe('renderThumbnail', () => {
  it('applies EXIF orientation: a rotated JPEG reports and keeps its displayed shape', async () => {
    const jpeg = await solid(300, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const result = await renderThumbnail(Readable.from([jpeg]), 'attachment');
    expect(result).toMatchObject({
      width: 100,
      height: 300,
      thumbnailWidth: 100,
      thumbnailHeight: 300,
    });
    expect(await sharp(result.data).metadata()).toMatchObject({ format: 'webp', height: 300 });
  });

  it('crops a GIF avatar to a 256 px square', async () => {
    const frames = await solid(40, 120).gif().toBuffer();
    const result = await renderThumbnail(Readable.from([frames]), 'avatar');
    expect(result).toMatchObject({ width: 40, height: 120, thumbnailWidth: 256 });
  });

  it('turns undecodable bytes into UndecodableImageError', async () => {
    const garbage = Buffer.concat([
      Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
      Buffer.alloc(64, 1),
    ]);
    await expect(renderThumbnail(Readable.from([garbage]), 'attachment')).rejects.toBeInstanceOf(
      UndecodableImageError,
    );
  });

  it('refuses an object larger than the size it was completed with', async () => {
    const png = await solid(20, 20).png().toBuffer();
    await expect(
      renderThumbnail(Readable.from([png]), 'attachment', png.length - 1),
    ).rejects.toBeInstanceOf(UndecodableImageError);
  });

  it('passes a storage read error on as it is, so the job retries it', async () => {
    const source = new PassThrough();
    const failure = new Error('connection reset by the object store');
    const rendering = renderThumbnail(source, 'attachment');
    source.write(Buffer.from('\x89PNG', 'latin1'));
    source.destroy(failure);
    await expect(rendering).rejects.toBe(failure);
  });
});

describe('thumbnail names', () => {
  it('keeps keys within the storage alphabet and names the file as WebP', () => {
    expect(thumbnailKeyOf('attachment/0190a000-0000-7000-8000-000000000000')).toBe(
      'attachment/0190a000-0000-7000-8000-000000000000_thumb',
    );
    expect(thumbnailFilename('holiday.photo.jpg')).toBe('holiday.photo_thumb.webp');
    expect(thumbnailFilename('.jpg')).toBe('image_thumb.webp');
  });
});
