/**
 * Word lists for generated HR data. Long enough that a company of a few thousand people
 * has few exact name twins, short enough to read. Places pair a city with its state, ZIP
 * and area code so that an address and a phone number agree.
 *
 * @module
 */

/** A comma-separated list, as an array (keeps long lists compact under deno fmt). */
function list(text: string): readonly string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

export const FEMALE_NAMES = list(`
  Ava, Maya, Priya, Chloe, Zoe, Amara, Hana, Grace, Leila, Nora, Sofia, Ines,
  Olivia, Emma, Isabella, Mia, Charlotte, Amelia, Harper, Evelyn, Abigail,
  Emily, Elizabeth, Camila, Aria, Scarlett, Victoria, Madison, Luna, Chen,
  Layla, Penelope, Riley, Zara, Nadia, Aisha, Fatima, Yuki, Mei, Ana, Lucia,
  Valentina, Gabriela, Rosa, Hannah, Sarah, Rachel, Rebecca, Laura, Julia,
  Claire, Alice, Naomi, Ruth, Esther, Diana, Keisha, Imani, Tanya, Aaliyah,
  Jasmine, Ingrid, Freya, Siobhan
`);

export const MALE_NAMES = list(`
  Liam, Noah, Mateo, Ethan, Lucas, Owen, Diego, Samuel, Isaac, Kenji, Marcus,
  Theo, James, Benjamin, Elijah, William, Henry, Alexander, Sebastian, Jack,
  Daniel, Michael, David, Joseph, Carter, Wyatt, John, Luke, Julian, Levi,
  Isaiah, Andrew, Joshua, Christopher, Nathan, Ryan, Aaron, Adrian, Omar,
  Hassan, Arjun, Ravi, Wei, Hiroshi, Minh, Carlos, Javier, Luis, Andre, Malik,
  Jamal, Darius, Thomas, Robert, Kevin, Brian, Patrick, Sean, Connor, Erik,
  Lars, Mohammed, Yusuf, Tariq
`);

export const NEUTRAL_NAMES = list(`
  Alex, Jordan, Taylor, Morgan, Casey, Jamie, Riley, Quinn, Avery, Rowan, Sam,
  Robin
`);

export const LAST_NAMES = list(`
  Johnson, Nguyen, Garcia, Patel, Kim, Okafor, Smith, Rossi, Cohen, Silva,
  Larsen, Brown, Tanaka, Martin, Haddad, Walker, Lopez, Schmidt, Novak, Reyes,
  Williams, Jones, Miller, Davis, Rodriguez, Martinez, Hernandez, Wilson,
  Anderson, Thomas, Taylor, Moore, Jackson, Lee, Perez, Thompson, White,
  Harris, Sanchez, Clark, Ramirez, Lewis, Robinson, Young, Allen, King, Wright,
  Scott, Torres, Hill, Flores, Green, Adams, Nelson, Baker, Hall, Rivera,
  Campbell, Mitchell, Carter, Roberts, Chen, Wang, Li, Zhang, Singh, Kumar,
  Shah, Ali, Khan, Ahmed, Yamamoto, Sato, Park, Choi, Tran, Pham, Mensah,
  Adeyemi, Diallo, Murphy, O'Brien, Kelly, Sullivan, Fischer, Weber, Becker,
  Dubois, Moreau, Bianchi, Ferrari, Kowalski, Nowak, Ivanova, Petrov,
  Andersson, Nilsson, Jensen, Hansen, Van der Berg
`);

export const MIDDLE_NAMES = list(`
  Marie, James, Lee, Ann, Ray, Lynn, Grace, John, Rose, Alan, Jane, Paul,
  Elizabeth, Michael, Louise, Edward, A., J., M.
`);

/** Preferred names that differ from the legal first name. */
export const NICKNAMES: Record<string, string> = {
  Elizabeth: "Liz",
  Alexander: "Alex",
  Benjamin: "Ben",
  William: "Will",
  Christopher: "Chris",
  Daniel: "Dan",
  Michael: "Mike",
  Joseph: "Joe",
  Joshua: "Josh",
  Nathan: "Nate",
  Robert: "Bob",
  Thomas: "Tom",
  Samuel: "Sam",
  Isabella: "Bella",
  Victoria: "Tori",
  Abigail: "Abby",
  Rebecca: "Becky",
  Katherine: "Kate",
  Gabriela: "Gabi",
  Valentina: "Vale",
  Mohammed: "Mo",
  Hiroshi: "Hiro",
};

export const DEPARTMENTS = [
  "Engineering",
  "Sales",
  "Operations",
  "Finance",
  "People",
  "Customer Success",
  "Marketing",
  "Legal",
] as const;

/** Job titles per department: individual contributors, then a lead title. */
export const TITLES: Record<string, { ic: string[]; lead: string }> = {
  Engineering: {
    ic: [
      "Software Engineer",
      "Senior Software Engineer",
      "Staff Engineer",
      "QA Engineer",
      "Site Reliability Engineer",
      "Data Engineer",
    ],
    lead: "Engineering Manager",
  },
  Sales: {
    ic: [
      "Account Executive",
      "Sales Development Representative",
      "Senior Account Executive",
      "Sales Engineer",
    ],
    lead: "Sales Manager",
  },
  Operations: {
    ic: [
      "Operations Associate",
      "Operations Analyst",
      "Warehouse Associate",
      "Logistics Coordinator",
      "Facilities Technician",
    ],
    lead: "Operations Manager",
  },
  Finance: {
    ic: ["Accountant", "Financial Analyst", "Payroll Specialist", "Controller"],
    lead: "Finance Manager",
  },
  People: {
    ic: ["HR Generalist", "Recruiter", "Benefits Specialist", "HR Coordinator"],
    lead: "People Partner",
  },
  "Customer Success": {
    ic: [
      "Customer Success Manager",
      "Support Specialist",
      "Implementation Specialist",
    ],
    lead: "Customer Success Lead",
  },
  Marketing: {
    ic: [
      "Marketing Specialist",
      "Content Strategist",
      "Product Marketing Manager",
      "Designer",
    ],
    lead: "Marketing Manager",
  },
  Legal: {
    ic: ["Paralegal", "Counsel", "Compliance Analyst"],
    lead: "General Counsel",
  },
};

/** Workers' compensation class codes per department (NCCI). */
export const CLASS_CODES: Record<string, string> = {
  Engineering: "8810",
  Sales: "8742",
  Operations: "8018",
  Finance: "8810",
  People: "8810",
  "Customer Success": "8810",
  Marketing: "8810",
  Legal: "8820",
};

/** [city, state, ZIP, area code, state income tax rate in basis points]. */
export const PLACES:
  readonly (readonly [string, string, string, string, number])[] = [
    ["San Francisco", "CA", "94105", "415", 600],
    ["Los Angeles", "CA", "90012", "213", 600],
    ["New York", "NY", "10013", "212", 550],
    ["Brooklyn", "NY", "11201", "718", 550],
    ["Austin", "TX", "78701", "512", 0],
    ["Dallas", "TX", "75201", "214", 0],
    ["Denver", "CO", "80202", "303", 440],
    ["Chicago", "IL", "60607", "312", 495],
    ["Seattle", "WA", "98104", "206", 0],
    ["Boston", "MA", "02110", "617", 500],
    ["Atlanta", "GA", "30303", "404", 539],
    ["Miami", "FL", "33131", "305", 0],
    ["Portland", "OR", "97204", "503", 875],
    ["Phoenix", "AZ", "85004", "602", 250],
    ["Minneapolis", "MN", "55401", "612", 680],
    ["Raleigh", "NC", "27601", "919", 450],
  ];

export const STREETS = list(`
  Market St, Main St, Congress Ave, Pine St, Broadway, Elm St, Oak Ave,
  Maple Dr, Cedar Ln, Park Ave, Lake St, Hill Rd, Washington St, Lincoln Ave,
  Sunset Blvd, River Rd, Church St, Mission St, 2nd Ave, 5th St
`);

export const BANKS = [
  "Chase",
  "Wells Fargo",
  "Bank of America",
  "US Bank",
  "PNC Bank",
  "Citibank",
] as const;

/** Domains for personal emails: reserved for examples, so no real inbox is ever hit. */
export const PERSONAL_DOMAINS = [
  "example.com",
  "example.net",
  "example.org",
] as const;
