/** A page of a cursor-paginated list; the envelope puts `items` in `data` and the cursor in `page`. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly nextCursor: string | null,
  ) {}
}
