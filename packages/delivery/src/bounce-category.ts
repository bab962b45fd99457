/** PowerMTA's bounce categories (the accounting file's `bounceCat`), as a closed union; the list lives in config (<bounce-category-patterns> names them). */
export { BOUNCE_CATEGORIES, type BounceCategory } from '@vmta/config';
