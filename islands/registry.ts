/**
 * Every island the portal has, by name. The server renders them through `<Island>` and
 * the browser bundle hydrates them from this same table, so a name can never point at
 * different code on the two sides.
 */
import ConnectionsBoard from "./ConnectionsBoard.tsx";

export const islands = {
  ConnectionsBoard,
} as const;

export type IslandName = keyof typeof islands;
