#include "staffing/taxonomy.h"

#include <array>
#include <cmath>

namespace lakehouse::staffing {
namespace {

using SV = std::string_view;

// Each role's lists are separate arrays so spans can point at them.
#define LH_LIST(name, ...) constexpr SV name[] = {__VA_ARGS__};

LH_LIST(kForkliftSyn, "forklift driver", "lift truck operator", "fork truck driver", "forklift")
LH_LIST(kForkliftSkills, "forklift", "pallet jack", "inventory", "loading", "unloading",
        "rf scanner", "reach truck", "order picking", "shipping", "receiving")
LH_LIST(kForkliftCerts, "osha forklift", "osha 10", "reach truck certification")
LH_LIST(kWarehouseSyn, "warehouse worker", "warehouse associate", "picker packer",
        "material handler")
LH_LIST(kWarehouseSkills, "order picking", "packing", "rf scanner", "shipping", "receiving",
        "inventory", "pallet jack", "labeling", "cycle counting", "loading")
LH_LIST(kWarehouseCerts, "osha 10", "pallet jack certification")
LH_LIST(kCnaSyn, "certified nursing assistant", "nursing assistant", "nurse aide", "cna")
LH_LIST(kCnaSkills, "patient care", "vital signs", "bathing", "feeding", "mobility assistance",
        "charting", "infection control", "dementia care", "bed making", "transfers")
LH_LIST(kCnaCerts, "cna license", "cpr", "bls", "first aid")
LH_LIST(kWelderSyn, "welders", "mig welder", "tig welder", "pipe welder", "fabricator welder")
LH_LIST(kWelderSkills, "mig welding", "tig welding", "stick welding", "flux core",
        "blueprint reading", "fabrication", "grinding", "fitting", "pipe welding", "plasma cutting")
LH_LIST(kWelderCerts, "aws d1.1", "6g pipe", "3g plate", "4g plate", "osha 10")
LH_LIST(kCdlSyn, "cdl driver", "truck driver", "class a driver", "otr driver",
        "tractor trailer driver")
LH_LIST(kCdlSkills, "tractor trailer", "pre-trip inspection", "eld logs", "long haul",
        "regional routes", "load securement", "backing", "hazmat transport")
LH_LIST(kCdlCerts, "cdl-a", "hazmat endorsement", "tanker endorsement", "dot medical card",
        "twic card")
LH_LIST(kMachineSyn, "machine operators", "cnc operator", "production machine operator")
LH_LIST(kMachineSkills, "machine setup", "cnc", "lathe", "press operation", "quality inspection",
        "calipers", "blueprint reading", "lockout tagout", "mill", "injection molding")
LH_LIST(kMachineCerts, "osha 10", "lockout tagout certification", "nims")
LH_LIST(kLineCookSyn, "cook", "prep cook", "short order cook", "line cooks")
LH_LIST(kLineCookSkills, "grill", "saute", "fryer", "food prep", "knife skills", "plating",
        "food safety", "inventory", "expo")
LH_LIST(kLineCookCerts, "servsafe food handler", "servsafe manager")
LH_LIST(kPackerSyn, "packer", "packaging associate", "packers")
LH_LIST(kPackerSkills, "packing", "labeling", "quality inspection", "shrink wrap", "case packing",
        "line work")
LH_LIST(kPackerCerts, "osha 10")
LH_LIST(kAssemblerSyn, "assembly worker", "production assembler", "assemblers",
        "assembly line worker")
LH_LIST(kAssemblerSkills, "hand tools", "power tools", "soldering", "blueprint reading",
        "quality inspection", "line work", "torque tools", "wire harness")
LH_LIST(kAssemblerCerts, "ipc-a-610", "osha 10")
LH_LIST(kJanitorSyn, "janitor", "custodian", "cleaner", "housekeeper commercial")
LH_LIST(kJanitorSkills, "floor care", "buffing", "restroom cleaning", "trash removal",
        "chemical handling", "carpet extraction")
LH_LIST(kJanitorCerts, "osha 10", "bloodborne pathogens")
LH_LIST(kHousekeepingSyn, "housekeeper", "room attendant", "housekeepers")
LH_LIST(kHousekeepingSkills, "room cleaning", "laundry", "bed making", "restocking",
        "chemical handling")
LH_LIST(kHousekeepingCerts, "bloodborne pathogens")
LH_LIST(kDishSyn, "dishwasher", "dish machine operator", "steward")
LH_LIST(kDishSkills, "dish machine", "pot washing", "kitchen cleaning", "food safety")
LH_LIST(kDishCerts, "servsafe food handler")
LH_LIST(kServerSyn, "waiter", "waitress", "banquet server", "servers")
LH_LIST(kServerSkills, "table service", "pos systems", "banquet service", "wine service",
        "customer service")
LH_LIST(kServerCerts, "servsafe alcohol", "tips certification", "servsafe food handler")
LH_LIST(kCashierSyn, "cashiers", "checkout clerk", "register clerk")
LH_LIST(kCashierSkills, "cash handling", "pos systems", "customer service", "returns", "stocking")
LH_LIST(kCashierCerts, "food handler")
LH_LIST(kRetailSyn, "retail associate", "sales associate", "stocker", "merchandiser")
LH_LIST(kRetailSkills, "stocking", "merchandising", "customer service", "cash handling",
        "inventory", "planograms")
LH_LIST(kRetailCerts, "food handler")
LH_LIST(kSecuritySyn, "security guard", "security officer", "guards")
LH_LIST(kSecuritySkills, "patrol", "access control", "cctv monitoring", "incident reports",
        "de-escalation")
LH_LIST(kSecurityCerts, "guard card", "cpr", "first aid", "armed guard license")
LH_LIST(kMedAssistSyn, "medical assistant", "clinical assistant", "mas")
LH_LIST(kMedAssistSkills, "vital signs", "phlebotomy", "ehr", "scheduling", "injections",
        "patient intake")
LH_LIST(kMedAssistCerts, "cma", "rma", "bls", "cpr")
LH_LIST(kLpnSyn, "licensed practical nurse", "lvn", "licensed vocational nurse", "lpns")
LH_LIST(kLpnSkills, "medication administration", "wound care", "vital signs", "charting",
        "iv therapy", "patient care")
LH_LIST(kLpnCerts, "lpn license", "bls", "iv certification")
LH_LIST(kRnSyn, "registered nurse", "rns", "staff nurse", "travel nurse")
LH_LIST(kRnSkills, "patient assessment", "medication administration", "iv therapy", "charting",
        "care planning", "telemetry", "wound care")
LH_LIST(kRnCerts, "rn license", "bls", "acls", "pals")
LH_LIST(kHhaSyn, "home health aide", "caregiver", "personal care aide", "hhas")
LH_LIST(kHhaSkills, "personal care", "meal preparation", "companionship", "mobility assistance",
        "medication reminders", "light housekeeping")
LH_LIST(kHhaCerts, "hha certificate", "cpr", "first aid")
LH_LIST(kPhlebSyn, "phlebotomist", "phlebotomy technician", "lab assistant")
LH_LIST(kPhlebSkills, "venipuncture", "specimen handling", "labeling", "patient intake", "ehr")
LH_LIST(kPhlebCerts, "cpt phlebotomy", "bls")
LH_LIST(kElectricianSyn, "electricians", "journeyman electrician", "electrical technician")
LH_LIST(kElectricianSkills, "conduit bending", "wiring", "troubleshooting", "blueprint reading",
        "panel installation", "motor controls", "plc")
LH_LIST(kElectricianCerts, "journeyman license", "osha 30", "nfpa 70e")
LH_LIST(kHvacSyn, "hvac technician", "hvac tech", "hvac mechanic")
LH_LIST(kHvacSkills, "refrigeration", "troubleshooting", "brazing", "ductwork", "heat pumps",
        "boilers")
LH_LIST(kHvacCerts, "epa 608", "nate", "osha 10")
LH_LIST(kPlumberSyn, "plumbers", "pipefitter", "plumbing technician")
LH_LIST(kPlumberSkills, "pipe fitting", "soldering", "drain cleaning", "water heaters",
        "blueprint reading")
LH_LIST(kPlumberCerts, "plumbing license", "osha 10")
LH_LIST(kCarpenterSyn, "carpenters", "framer", "finish carpenter")
LH_LIST(kCarpenterSkills, "framing", "finish work", "blueprint reading", "power tools", "drywall",
        "concrete forms")
LH_LIST(kCarpenterCerts, "osha 10", "osha 30")
LH_LIST(kLaborerSyn, "general laborer", "construction laborer", "laborers", "helper")
LH_LIST(kLaborerSkills, "demolition", "site cleanup", "material handling", "power tools",
        "concrete", "digging", "flagging")
LH_LIST(kLaborerCerts, "osha 10", "flagger certification")
LH_LIST(kPainterSyn, "painters", "industrial painter", "spray painter")
LH_LIST(kPainterSkills, "spray painting", "surface preparation", "drywall repair", "sanding",
        "caulking")
LH_LIST(kPainterCerts, "osha 10", "lead safe rrp")
LH_LIST(kMaintSyn, "maintenance technician", "maintenance mechanic", "industrial maintenance")
LH_LIST(kMaintSkills, "troubleshooting", "preventive maintenance", "hydraulics", "pneumatics",
        "plc", "welding", "electrical")
LH_LIST(kMaintCerts, "osha 10", "nfpa 70e", "epa 608")
LH_LIST(kQcSyn, "quality inspector", "qc inspector", "quality control technician")
LH_LIST(kQcSkills, "calipers", "micrometers", "blueprint reading", "gd&t", "spc",
        "quality inspection")
LH_LIST(kQcCerts, "asq cqi", "osha 10")
LH_LIST(kDeliverySyn, "delivery driver", "courier", "route driver", "box truck driver")
LH_LIST(kDeliverySkills, "route planning", "customer service", "loading", "gps navigation",
        "box truck")
LH_LIST(kDeliveryCerts, "dot medical card", "cdl-b")
LH_LIST(kCdlBSyn, "cdl-b driver", "class b driver", "straight truck driver")
LH_LIST(kCdlBSkills, "straight truck", "pre-trip inspection", "local routes", "liftgate", "loading")
LH_LIST(kCdlBCerts, "cdl-b", "dot medical card", "air brakes endorsement")
LH_LIST(kShipSyn, "shipping clerk", "receiving clerk", "shipping and receiving")
LH_LIST(kShipSkills, "shipping", "receiving", "bills of lading", "rf scanner", "inventory", "wms",
        "data entry")
LH_LIST(kShipCerts, "osha 10", "osha forklift")
LH_LIST(kInventorySyn, "inventory clerk", "inventory specialist", "cycle counter")
LH_LIST(kInventorySkills, "cycle counting", "inventory", "rf scanner", "wms", "data entry", "excel")
LH_LIST(kInventoryCerts, "osha 10")
LH_LIST(kCsrSyn, "call center agent", "customer service rep", "csr", "customer support")
LH_LIST(kCsrSkills, "phone support", "crm", "data entry", "de-escalation", "typing",
        "bilingual spanish")
LH_LIST(kCsrCerts, "typing certificate")
LH_LIST(kAdminSyn, "admin assistant", "office assistant", "receptionist",
        "administrative assistant")
LH_LIST(kAdminSkills, "scheduling", "data entry", "excel", "phone support", "filing",
        "microsoft office")
LH_LIST(kAdminCerts, "microsoft office specialist")
LH_LIST(kDataEntrySyn, "data entry operator", "keyer", "data clerk")
LH_LIST(kDataEntrySkills, "data entry", "typing", "excel", "10-key", "filing")
LH_LIST(kDataEntryCerts, "typing certificate")
LH_LIST(kBookSyn, "bookkeeper", "accounting clerk", "ap clerk")
LH_LIST(kBookSkills, "accounts payable", "accounts receivable", "quickbooks", "reconciliation",
        "excel")
LH_LIST(kBookCerts, "quickbooks certified")
LH_LIST(kLandscapeSyn, "landscaper", "groundskeeper", "landscape laborer")
LH_LIST(kLandscapeSkills, "mowing", "trimming", "irrigation", "planting", "snow removal",
        "equipment operation")
LH_LIST(kLandscapeCerts, "pesticide applicator")
LH_LIST(kHeavySyn, "heavy equipment operator", "excavator operator", "loader operator",
        "dozer operator")
LH_LIST(kHeavySkills, "excavator", "loader", "dozer", "backhoe", "grading", "skid steer")
LH_LIST(kHeavyCerts, "nccco", "osha 30", "cdl-a")
LH_LIST(kCraneSyn, "crane operator", "crane operators", "mobile crane operator")
LH_LIST(kCraneSkills, "mobile crane", "tower crane", "rigging", "load charts", "signaling")
LH_LIST(kCraneCerts, "nccco", "rigger certification", "osha 30")
LH_LIST(kSorterSyn, "package handler", "sorter", "parcel handler", "package handlers")
LH_LIST(kSorterSkills, "sorting", "loading", "unloading", "rf scanner", "lifting")
LH_LIST(kSorterCerts, "osha 10")
LH_LIST(kMeatSyn, "meat cutter", "butcher", "meat packer")
LH_LIST(kMeatSkills, "knife skills", "deboning", "food safety", "portioning", "sanitation")
LH_LIST(kMeatCerts, "servsafe food handler", "haccp")
LH_LIST(kSanitationSyn, "sanitation worker", "sanitation technician", "plant sanitation")
LH_LIST(kSanitationSkills, "chemical handling", "equipment cleaning", "food safety",
        "lockout tagout", "pressure washing")
LH_LIST(kSanitationCerts, "haccp", "osha 10")
LH_LIST(kPharmTechSyn, "pharmacy technician", "pharmacy tech", "pharm tech")
LH_LIST(kPharmTechSkills, "prescription filling", "inventory", "insurance billing", "compounding",
        "customer service")
LH_LIST(kPharmTechCerts, "ptcb", "cpht")
LH_LIST(kBartenderSyn, "bartender", "barback", "mixologist")
LH_LIST(kBartenderSkills, "mixology", "cash handling", "pos systems", "customer service",
        "inventory")
LH_LIST(kBartenderCerts, "tips certification", "servsafe alcohol")
LH_LIST(kEventSyn, "event staff", "event worker", "stagehand", "usher")
LH_LIST(kEventSkills, "setup", "teardown", "crowd control", "customer service", "ticket scanning")
LH_LIST(kEventCerts, "crowd manager", "first aid")

#undef LH_LIST

constexpr Role kRoles[] = {
    {"forklift operator", kForkliftSyn, kForkliftSkills, kForkliftCerts, 16, 24, 60, true},
    {"warehouse associate", kWarehouseSyn, kWarehouseSkills, kWarehouseCerts, 14, 20, 90, true},
    {"cna", kCnaSyn, kCnaSkills, kCnaCerts, 15, 23, 55, true},
    {"welder", kWelderSyn, kWelderSkills, kWelderCerts, 20, 38, 30, false},
    {"cdl-a driver", kCdlSyn, kCdlSkills, kCdlCerts, 24, 40, 30, true},
    {"machine operator", kMachineSyn, kMachineSkills, kMachineCerts, 16, 26, 40, true},
    {"line cook", kLineCookSyn, kLineCookSkills, kLineCookCerts, 14, 22, 35, false},
    {"packer", kPackerSyn, kPackerSkills, kPackerCerts, 13, 18, 40, true},
    {"assembler", kAssemblerSyn, kAssemblerSkills, kAssemblerCerts, 14, 22, 40, true},
    {"janitor", kJanitorSyn, kJanitorSkills, kJanitorCerts, 13, 19, 25, true},
    {"housekeeper", kHousekeepingSyn, kHousekeepingSkills, kHousekeepingCerts, 13, 18, 25, false},
    {"dishwasher", kDishSyn, kDishSkills, kDishCerts, 12, 17, 20, false},
    {"server", kServerSyn, kServerSkills, kServerCerts, 10, 18, 20, false},
    {"cashier", kCashierSyn, kCashierSkills, kCashierCerts, 12, 17, 25, false},
    {"retail associate", kRetailSyn, kRetailSkills, kRetailCerts, 12, 18, 25, false},
    {"security officer", kSecuritySyn, kSecuritySkills, kSecurityCerts, 15, 25, 25, true},
    {"medical assistant", kMedAssistSyn, kMedAssistSkills, kMedAssistCerts, 17, 24, 20, false},
    {"lpn", kLpnSyn, kLpnSkills, kLpnCerts, 24, 34, 20, true},
    {"rn", kRnSyn, kRnSkills, kRnCerts, 35, 60, 20, true},
    {"home health aide", kHhaSyn, kHhaSkills, kHhaCerts, 13, 19, 25, false},
    {"phlebotomist", kPhlebSyn, kPhlebSkills, kPhlebCerts, 17, 24, 10, false},
    {"electrician", kElectricianSyn, kElectricianSkills, kElectricianCerts, 25, 45, 15, false},
    {"hvac technician", kHvacSyn, kHvacSkills, kHvacCerts, 22, 38, 12, false},
    {"plumber", kPlumberSyn, kPlumberSkills, kPlumberCerts, 24, 42, 10, false},
    {"carpenter", kCarpenterSyn, kCarpenterSkills, kCarpenterCerts, 20, 34, 15, false},
    {"construction laborer", kLaborerSyn, kLaborerSkills, kLaborerCerts, 15, 24, 35, false},
    {"painter", kPainterSyn, kPainterSkills, kPainterCerts, 17, 28, 10, false},
    {"maintenance technician", kMaintSyn, kMaintSkills, kMaintCerts, 22, 36, 20, true},
    {"quality inspector", kQcSyn, kQcSkills, kQcCerts, 17, 28, 15, true},
    {"delivery driver", kDeliverySyn, kDeliverySkills, kDeliveryCerts, 16, 24, 25, false},
    {"cdl-b driver", kCdlBSyn, kCdlBSkills, kCdlBCerts, 20, 30, 12, false},
    {"shipping clerk", kShipSyn, kShipSkills, kShipCerts, 15, 22, 20, true},
    {"inventory clerk", kInventorySyn, kInventorySkills, kInventoryCerts, 14, 21, 15, true},
    {"customer service representative", kCsrSyn, kCsrSkills, kCsrCerts, 14, 22, 30, false},
    {"administrative assistant", kAdminSyn, kAdminSkills, kAdminCerts, 16, 25, 20, false},
    {"data entry clerk", kDataEntrySyn, kDataEntrySkills, kDataEntryCerts, 14, 20, 15, false},
    {"bookkeeper", kBookSyn, kBookSkills, kBookCerts, 18, 28, 8, false},
    {"landscaper", kLandscapeSyn, kLandscapeSkills, kLandscapeCerts, 14, 22, 15, false},
    {"heavy equipment operator", kHeavySyn, kHeavySkills, kHeavyCerts, 24, 40, 10, false},
    {"crane operator", kCraneSyn, kCraneSkills, kCraneCerts, 30, 50, 5, false},
    {"package handler", kSorterSyn, kSorterSkills, kSorterCerts, 14, 20, 40, true},
    {"meat cutter", kMeatSyn, kMeatSkills, kMeatCerts, 15, 24, 10, true},
    {"sanitation worker", kSanitationSyn, kSanitationSkills, kSanitationCerts, 14, 21, 15, true},
    {"pharmacy technician", kPharmTechSyn, kPharmTechSkills, kPharmTechCerts, 16, 23, 10, false},
    {"bartender", kBartenderSyn, kBartenderSkills, kBartenderCerts, 10, 20, 10, false},
    {"event staff", kEventSyn, kEventSkills, kEventCerts, 13, 19, 15, false},
};

constexpr City kCities[] = {
    {"New York", "NY", 40.7128, -74.0060, 10},
    {"Los Angeles", "CA", 34.0522, -118.2437, 10},
    {"Chicago", "IL", 41.8781, -87.6298, 10},
    {"Houston", "TX", 29.7604, -95.3698, 10},
    {"Phoenix", "AZ", 33.4484, -112.0740, 8},
    {"Philadelphia", "PA", 39.9526, -75.1652, 8},
    {"San Antonio", "TX", 29.4241, -98.4936, 7},
    {"San Diego", "CA", 32.7157, -117.1611, 7},
    {"Dallas", "TX", 32.7767, -96.7970, 9},
    {"San Jose", "CA", 37.3382, -121.8863, 6},
    {"Austin", "TX", 30.2672, -97.7431, 7},
    {"Jacksonville", "FL", 30.3322, -81.6557, 6},
    {"Fort Worth", "TX", 32.7555, -97.3308, 7},
    {"Columbus", "OH", 39.9612, -82.9988, 8},
    {"Charlotte", "NC", 35.2271, -80.8431, 7},
    {"Indianapolis", "IN", 39.7684, -86.1581, 7},
    {"San Francisco", "CA", 37.7749, -122.4194, 6},
    {"Seattle", "WA", 47.6062, -122.3321, 7},
    {"Denver", "CO", 39.7392, -104.9903, 7},
    {"Washington", "DC", 38.9072, -77.0369, 6},
    {"Nashville", "TN", 36.1627, -86.7816, 7},
    {"Oklahoma City", "OK", 35.4676, -97.5164, 5},
    {"El Paso", "TX", 31.7619, -106.4850, 4},
    {"Boston", "MA", 42.3601, -71.0589, 7},
    {"Portland", "OR", 45.5152, -122.6784, 6},
    {"Las Vegas", "NV", 36.1699, -115.1398, 6},
    {"Detroit", "MI", 42.3314, -83.0458, 7},
    {"Memphis", "TN", 35.1495, -90.0490, 6},
    {"Louisville", "KY", 38.2527, -85.7585, 6},
    {"Baltimore", "MD", 39.2904, -76.6122, 6},
    {"Milwaukee", "WI", 43.0389, -87.9065, 5},
    {"Albuquerque", "NM", 35.0844, -106.6504, 4},
    {"Tucson", "AZ", 32.2226, -110.9747, 4},
    {"Fresno", "CA", 36.7378, -119.7871, 4},
    {"Sacramento", "CA", 38.5816, -121.4944, 5},
    {"Kansas City", "MO", 39.0997, -94.5786, 6},
    {"Mesa", "AZ", 33.4152, -111.8315, 4},
    {"Atlanta", "GA", 33.7490, -84.3880, 9},
    {"Omaha", "NE", 41.2565, -95.9345, 4},
    {"Colorado Springs", "CO", 38.8339, -104.8214, 4},
    {"Raleigh", "NC", 35.7796, -78.6382, 5},
    {"Miami", "FL", 25.7617, -80.1918, 7},
    {"Long Beach", "CA", 33.7701, -118.1937, 5},
    {"Virginia Beach", "VA", 36.8529, -75.9780, 4},
    {"Oakland", "CA", 37.8044, -122.2712, 4},
    {"Minneapolis", "MN", 44.9778, -93.2650, 6},
    {"Tulsa", "OK", 36.1540, -95.9928, 4},
    {"Tampa", "FL", 27.9506, -82.4572, 6},
    {"Arlington", "TX", 32.7357, -97.1081, 4},
    {"New Orleans", "LA", 29.9511, -90.0715, 5},
    {"Wichita", "KS", 37.6872, -97.3301, 4},
    {"Cleveland", "OH", 41.4993, -81.6944, 6},
    {"Bakersfield", "CA", 35.3733, -119.0187, 4},
    {"Aurora", "CO", 39.7294, -104.8319, 3},
    {"Anaheim", "CA", 33.8366, -117.9143, 4},
    {"Honolulu", "HI", 21.3069, -157.8583, 3},
    {"Santa Ana", "CA", 33.7455, -117.8677, 3},
    {"Riverside", "CA", 33.9806, -117.3755, 5},
    {"Corpus Christi", "TX", 27.8006, -97.3964, 3},
    {"Lexington", "KY", 38.0406, -84.5037, 4},
    {"Stockton", "CA", 37.9577, -121.2908, 4},
    {"Henderson", "NV", 36.0395, -114.9817, 3},
    {"Saint Paul", "MN", 44.9537, -93.0900, 4},
    {"St. Louis", "MO", 38.6270, -90.1994, 6},
    {"Cincinnati", "OH", 39.1031, -84.5120, 6},
    {"Pittsburgh", "PA", 40.4406, -79.9959, 6},
    {"Greensboro", "NC", 36.0726, -79.7920, 4},
    {"Anchorage", "AK", 61.2181, -149.9003, 2},
    {"Plano", "TX", 33.0198, -96.6989, 3},
    {"Lincoln", "NE", 40.8136, -96.7026, 3},
    {"Orlando", "FL", 28.5383, -81.3792, 6},
    {"Irvine", "CA", 33.6846, -117.8265, 3},
    {"Newark", "NJ", 40.7357, -74.1724, 5},
    {"Toledo", "OH", 41.6528, -83.5379, 4},
    {"Durham", "NC", 35.9940, -78.8986, 3},
    {"Chula Vista", "CA", 32.6401, -117.0842, 3},
    {"Fort Wayne", "IN", 41.0793, -85.1394, 4},
    {"Jersey City", "NJ", 40.7178, -74.0431, 4},
    {"St. Petersburg", "FL", 27.7676, -82.6403, 3},
    {"Laredo", "TX", 27.5306, -99.4803, 3},
    {"Madison", "WI", 43.0731, -89.4012, 3},
    {"Chandler", "AZ", 33.3062, -111.8413, 3},
    {"Buffalo", "NY", 42.8864, -78.8784, 4},
    {"Lubbock", "TX", 33.5779, -101.8552, 3},
    {"Scottsdale", "AZ", 33.4942, -111.9261, 3},
    {"Reno", "NV", 39.5296, -119.8138, 4},
    {"Glendale", "AZ", 33.5387, -112.1860, 3},
    {"Gilbert", "AZ", 33.3528, -111.7890, 3},
    {"Winston-Salem", "NC", 36.0999, -80.2442, 3},
    {"North Las Vegas", "NV", 36.1989, -115.1175, 3},
    {"Norfolk", "VA", 36.8508, -76.2859, 4},
    {"Chesapeake", "VA", 36.7682, -76.2875, 3},
    {"Garland", "TX", 32.9126, -96.6389, 3},
    {"Irving", "TX", 32.8140, -96.9489, 3},
    {"Hialeah", "FL", 25.8576, -80.2781, 3},
    {"Fremont", "CA", 37.5485, -121.9886, 3},
    {"Boise", "ID", 43.6150, -116.2023, 4},
    {"Richmond", "VA", 37.5407, -77.4360, 4},
    {"Baton Rouge", "LA", 30.4515, -91.1871, 4},
    {"Spokane", "WA", 47.6588, -117.4260, 3},
    {"Des Moines", "IA", 41.5868, -93.6250, 4},
    {"Tacoma", "WA", 47.2529, -122.4443, 4},
    {"San Bernardino", "CA", 34.1083, -117.2898, 4},
    {"Modesto", "CA", 37.6391, -120.9969, 3},
    {"Fontana", "CA", 34.0922, -117.4350, 4},
    {"Santa Clarita", "CA", 34.3917, -118.5426, 3},
    {"Birmingham", "AL", 33.5186, -86.8104, 4},
    {"Oxnard", "CA", 34.1975, -119.1771, 3},
    {"Fayetteville", "NC", 35.0527, -78.8784, 3},
    {"Moreno Valley", "CA", 33.9425, -117.2297, 3},
    {"Rochester", "NY", 43.1566, -77.6088, 4},
    {"Glendale", "CA", 34.1425, -118.2551, 3},
    {"Huntington Beach", "CA", 33.6595, -117.9988, 3},
    {"Salt Lake City", "UT", 40.7608, -111.8910, 5},
    {"Grand Rapids", "MI", 42.9634, -85.6681, 4},
    {"Amarillo", "TX", 35.2220, -101.8313, 3},
    {"Yonkers", "NY", 40.9312, -73.8988, 3},
    {"Aurora", "IL", 41.7606, -88.3201, 3},
    {"Montgomery", "AL", 32.3792, -86.3077, 3},
    {"Akron", "OH", 41.0814, -81.5190, 4},
    {"Little Rock", "AR", 34.7465, -92.2896, 4},
    {"Huntsville", "AL", 34.7304, -86.5861, 4},
    {"Augusta", "GA", 33.4735, -82.0105, 3},
    {"Columbus", "GA", 32.4610, -84.9877, 3},
    {"Grand Prairie", "TX", 32.7460, -96.9978, 3},
    {"Shreveport", "LA", 32.5252, -93.7502, 3},
    {"Overland Park", "KS", 38.9822, -94.6708, 3},
    {"Tallahassee", "FL", 30.4383, -84.2807, 3},
    {"Mobile", "AL", 30.6954, -88.0399, 3},
    {"Knoxville", "TN", 35.9606, -83.9207, 4},
    {"Worcester", "MA", 42.2626, -71.8023, 3},
    {"Providence", "RI", 41.8240, -71.4128, 4},
    {"Fort Lauderdale", "FL", 26.1224, -80.1373, 4},
    {"Chattanooga", "TN", 35.0456, -85.3097, 4},
    {"Tempe", "AZ", 33.4255, -111.9400, 3},
    {"Cape Coral", "FL", 26.5629, -81.9495, 3},
    {"Sioux Falls", "SD", 43.5446, -96.7311, 3},
    {"Springfield", "MO", 37.2090, -93.2923, 3},
    {"Peoria", "IL", 40.6936, -89.5890, 3},
    {"Vancouver", "WA", 45.6387, -122.6615, 3},
    {"Ontario", "CA", 34.0633, -117.6509, 4},
    {"Elk Grove", "CA", 38.4088, -121.3716, 3},
    {"Salem", "OR", 44.9429, -123.0351, 3},
    {"Pembroke Pines", "FL", 26.0078, -80.2963, 3},
    {"Eugene", "OR", 44.0521, -123.0868, 3},
    {"Corona", "CA", 33.8753, -117.5664, 3},
    {"Fort Collins", "CO", 40.5853, -105.0844, 3},
    {"Jackson", "MS", 32.2988, -90.1848, 3},
    {"Alexandria", "VA", 38.8048, -77.0469, 3},
    {"Hayward", "CA", 37.6688, -122.0808, 3},
    {"Lancaster", "PA", 40.0379, -76.3055, 3},
    {"Savannah", "GA", 32.0809, -81.0912, 4},
    {"Syracuse", "NY", 43.0481, -76.1474, 3},
    {"Dayton", "OH", 39.7589, -84.1916, 5},
    {"Joliet", "IL", 41.5250, -88.0817, 4},
    {"Bridgeport", "CT", 41.1792, -73.1894, 3},
    {"Hartford", "CT", 41.7658, -72.6734, 3},
    {"Springfield", "IL", 39.7817, -89.6501, 3},
    {"Springfield", "MA", 42.1015, -72.5898, 3},
    {"Kansas City", "KS", 39.1141, -94.6275, 3},
    {"Rockford", "IL", 42.2711, -89.0940, 3},
    {"Paterson", "NJ", 40.9168, -74.1718, 3},
    {"Allentown", "PA", 40.6084, -75.4902, 4},
    {"Harrisburg", "PA", 40.2732, -76.8867, 4},
    {"Scranton", "PA", 41.4090, -75.6624, 3},
    {"Erie", "PA", 42.1292, -80.0851, 3},
    {"Lansing", "MI", 42.7325, -84.5555, 3},
    {"Flint", "MI", 43.0125, -83.6875, 3},
    {"Kalamazoo", "MI", 42.2917, -85.5872, 3},
    {"Evansville", "IN", 37.9716, -87.5711, 3},
    {"South Bend", "IN", 41.6764, -86.2520, 3},
    {"Gary", "IN", 41.5934, -87.3464, 3},
    {"Youngstown", "OH", 41.0998, -80.6495, 3},
    {"Canton", "OH", 40.7989, -81.3784, 3},
    {"Springfield", "OH", 39.9242, -83.8088, 2},
    {"Hamilton", "OH", 39.3995, -84.5613, 2},
    {"Green Bay", "WI", 44.5133, -88.0133, 3},
    {"Cedar Rapids", "IA", 41.9779, -91.6656, 3},
    {"Davenport", "IA", 41.5236, -90.5776, 3},
    {"Topeka", "KS", 39.0473, -95.6752, 2},
    {"Fargo", "ND", 46.8772, -96.7898, 3},
    {"Billings", "MT", 45.7833, -108.5007, 2},
    {"Cheyenne", "WY", 41.1400, -104.8202, 2},
    {"Provo", "UT", 40.2338, -111.6585, 3},
    {"Ogden", "UT", 41.2230, -111.9738, 3},
    {"Greenville", "SC", 34.8526, -82.3940, 4},
    {"Columbia", "SC", 34.0007, -81.0348, 4},
    {"Charleston", "SC", 32.7765, -79.9311, 4},
    {"Wilmington", "NC", 34.2257, -77.9447, 3},
    {"Asheville", "NC", 35.5951, -82.5515, 3},
    {"Roanoke", "VA", 37.2710, -79.9414, 3},
    {"Lexington", "SC", 33.9815, -81.2362, 2},
    {"Gainesville", "FL", 29.6516, -82.3248, 3},
    {"Lakeland", "FL", 28.0395, -81.9498, 4},
    {"Pensacola", "FL", 30.4213, -87.2169, 3},
    {"Ocala", "FL", 29.1872, -82.1401, 3},
    {"Macon", "GA", 32.8407, -83.6324, 3},
    {"Gulfport", "MS", 30.3674, -89.0928, 2},
    {"Lafayette", "LA", 30.2241, -92.0198, 3},
    {"Beaumont", "TX", 30.0802, -94.1266, 3},
    {"Waco", "TX", 31.5493, -97.1467, 3},
    {"Killeen", "TX", 31.1171, -97.7278, 3},
    {"McAllen", "TX", 26.2034, -98.2300, 3},
    {"Brownsville", "TX", 25.9017, -97.4975, 3},
    {"Midland", "TX", 31.9973, -102.0779, 3},
    {"Odessa", "TX", 31.8457, -102.3676, 3},
    {"Pasadena", "TX", 29.6911, -95.2091, 3},
    {"Baytown", "TX", 29.7355, -94.9774, 3},
    {"Tyler", "TX", 32.3513, -95.3011, 2},
    {"Fort Smith", "AR", 35.3859, -94.3985, 2},
    {"Springdale", "AR", 36.1867, -94.1288, 3},
    {"Joplin", "MO", 37.0842, -94.5133, 2},
    {"Bowling Green", "KY", 36.9685, -86.4808, 2},
    {"Clarksville", "TN", 36.5298, -87.3595, 3},
    {"Murfreesboro", "TN", 35.8456, -86.3903, 3},
    {"Albany", "NY", 42.6526, -73.7562, 3},
    {"Manchester", "NH", 42.9956, -71.4548, 3},
    {"Portland", "ME", 43.6591, -70.2568, 2},
    {"Burlington", "VT", 44.4759, -73.2121, 2},
    {"Wilmington", "DE", 39.7391, -75.5398, 3},
    {"Trenton", "NJ", 40.2171, -74.7429, 3},
    {"Edison", "NJ", 40.5187, -74.4121, 4},
};

}  // namespace

std::span<const Role> Roles() {
  return kRoles;
}
std::span<const City> Cities() {
  return kCities;
}

const Role* FindRole(std::string_view name) {
  for (const Role& r : kRoles)
    if (r.name == name) return &r;
  return nullptr;
}

double HaversineMiles(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusMiles * std::asin(std::min(1.0, std::sqrt(a)));
}

}  // namespace lakehouse::staffing
