/** How many cards a board column draws at first, and how many more each time the user nears its end. */
export const cardsPerPage = 60;
